// What a cashier reads in DE 63 when a void, refund, completion or cancel is refused: the refusal's
// reason in the terminal's language. English is the catalogue message itself (refusal.reason, the
// same text the HTTP problem object carries); Chinese is this table, one line per refusal code, so a
// new code in TxnRefusalCode fails to compile here until it has its cashier text.
import { truncateUtf8, cashierMessageBytesMax } from '../declines/terminal-text.ts';
import { assertNever, type Language } from '../vocabulary.ts';
import type { TxnRefusal, TxnRefusalCode } from './txn-rule-result.ts';

type Params = Readonly<Record<string, string>>;

/** Minor units as 元 with two decimals ("6000" -> "60.00"); anything not a whole number is shown as given. */
function yuanOf(minorText: string | undefined): string {
  if (minorText === undefined || !/^\d{1,15}$/.test(minorText)) return minorText ?? '';
  const padded = minorText.padStart(3, '0');
  return `${padded.slice(0, -2).replace(/^0+(?=\d)/, '')}.${padded.slice(-2)}`;
}

/** The follow-up operations and payment kinds/statuses as a cashier names them. */
const zhWords: Readonly<Record<string, string>> = {
  void: '撤销',
  refund: '退货',
  completion: '预授权完成',
  preauth_cancel: '预授权撤销',
  completion_void: '预授权完成撤销',
  sale: '消费',
  preauth: '预授权',
  balance_inquiry: '余额查询',
  pending: '处理中',
  approved: '成功',
  declined: '被拒绝',
  reversed: '已冲正',
  voided: '已撤销',
  completed: '完成',
  cancelled: '撤销',
};

function zhWord(word: string | undefined): string {
  return word === undefined ? '' : (zhWords[word] ?? word);
}

/** Chinese cashier text per refusal code, filled from the refusal's params. */
const zhTexts: Readonly<Record<TxnRefusalCode, (p: Params) => string>> = {
  RSW_TXN_ORIGINAL_NOT_FOUND: () => '原交易不存在，请核对凭证号或参考号',
  RSW_TXN_ORIGINAL_NOT_APPROVED: (p) => `原交易${zhWord(p.status)}，不能${zhWord(p.operation)}`,
  RSW_TXN_ORIGINAL_WRONG_KIND: (p) => `原交易是${zhWord(p.actual)}，不能做${zhWord(p.operation)}`,
  RSW_TXN_VOID_OTHER_DAY: () => '原交易非当日交易，不能撤销，请做退货',
  RSW_TXN_BATCH_SETTLED: () => '该批次已结算，不能撤销，请做退货',
  RSW_TXN_VOID_OTHER_TERMINAL: (p) => `撤销须在原交易终端${p.originalTerminalId ?? ''}上进行，请做退货`,
  RSW_TXN_VOID_AMOUNT: (p) => `撤销须为原交易全额${yuanOf(p.originalMinor)}元，部分退款请做退货`,
  RSW_TXN_ALREADY_VOIDED: () => '原交易已撤销',
  RSW_TXN_HAS_REFUNDS: () => '原交易已有退货，不能撤销，请退剩余金额',
  RSW_TXN_REFUND_EXCEEDS: (p) => `退货金额超过可退余额，还可退${yuanOf(p.refundableMinor)}元`,
  RSW_TXN_AMOUNT_INVALID: () => '金额无效，请重新输入',
  RSW_TXN_CURRENCY_MISMATCH: () => '币种与原交易不符',
  RSW_TXN_HOLD_EXPIRED: (p) => `预授权已超过${p.holdDays ?? ''}天失效，请重新做预授权`,
  RSW_TXN_HOLD_CLOSED: (p) => `该预授权已${zhWord(p.closedBy)}`,
  RSW_TXN_COMPLETION_EXCEEDS: (p) => `完成金额超过预授权金额允许范围，最多${yuanOf(p.maxMinor)}元`,
  RSW_TXN_CANCEL_AMOUNT: (p) => `预授权撤销须为全额${yuanOf(p.originalMinor)}元`,
  RSW_TXN_CARD_MISMATCH: () => '卡号与原交易不符，请使用原交易卡',
  RSW_TXN_TERMINAL_NOT_MERCHANTS: (p) => `终端${p.terminalId ?? ''}未登记在该商户下`,
  RSW_TXN_REVERSAL_OTHER_TERMINAL: () => '冲正须由原交易终端和商户发起',
  RSW_TXN_REVERSAL_AMOUNT: (p) => `冲正金额须与原交易金额${yuanOf(p.originalMinor)}元一致`,
  RSW_TXN_REVERSAL_BATCH_SETTLED: () => '该批次已结算，不能冲正，请做退货',
  RSW_TXN_REVERSAL_TOO_LATE: () => '已超过冲正时限，请做退货',
};

/** The refusal's text for a cashier in `lang` (no card data: the params are amounts, ids and states). */
export function refusalText(refusal: Pick<TxnRefusal, 'code' | 'params' | 'reason'>, lang: Language): string {
  switch (lang) {
    case 'zh':
      return zhTexts[refusal.code](refusal.params);
    case 'en':
      return refusal.reason;
    default:
      return assertNever(lang, 'language');
  }
}

/**
 * DE 63 for a refused follow-up: refusalText cut to at most maxBytes (120) of UTF-8 on a character
 * boundary, as cashierMessage does; that is also within 120 bytes once the cups-pos codec writes it in
 * GBK, where a Chinese character takes 2 bytes instead of 3.
 */
export function refusalCashierMessage(refusal: Pick<TxnRefusal, 'code' | 'params' | 'reason'>, lang: Language, maxBytes: number = cashierMessageBytesMax): string {
  return truncateUtf8(refusalText(refusal, lang), Math.max(0, Math.min(maxBytes, cashierMessageBytesMax)));
}
