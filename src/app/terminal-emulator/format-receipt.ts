// What the terminal prints and shows after a sale: the 签购单 fields (merchant, terminal, masked
// card, type, batch, trace, auth code, RRN, date and time, amount) and the cashier's next step
// derived from the verdict. Pure: the caller passes everything in, including the local time text.
import { maskPan } from '../../core/cards/pan.ts';
import { maskAuthCode } from '../../core/qr/auth-code.ts';
import { formatMinorAsYuan } from '../../core/fees/parse-yuan.ts';
import { assertNever, type RetryVerdict } from '../../core/vocabulary.ts';
import type { SaleAnswer, TerminalSession } from './terminal-session.ts';

export interface SaleReport {
  result: 'approved' | 'declined' | 'no_answer';
  responseCode: string | null;
  verdict: RetryVerdict | null;
  waitSeconds: number | null;
  cashierMessage: string | null;
  /** The cashier's next step, in English, from the verdict. */
  nextStep: string;
  receipt: {
    merchantId: string;
    terminalId: string;
    cardMasked: string;
    transactionType: 'SALE';
    entry: string;
    batchNo: string;
    traceNo: string;
    authCode: string | null;
    rrn: string | null;
    dateTime: string;
    amountMinor: number;
    amount: string;
  };
  latencyMs: number;
}

/** The advice the terminal follows for a verdict (spec: NOW retry with a new STAN, LATER wait, FIX/NEVER another card, WAIT never re-swipe). */
export function nextStepFor(verdict: RetryVerdict | null, waitSeconds: number | null): string {
  if (verdict === null) return 'no verdict: look the payment up before charging again';
  switch (verdict) {
    case 'none':
      return 'done: hand over the receipt';
    case 'now':
      return 'safe to retry now (a new trace number is used)';
    case 'later':
      return `retry after ${waitSeconds ?? 30} s`;
    case 'fix':
      return 'someone must act first: ask for another card or a smaller amount, or re-enter the card data';
    case 'never':
      return 'do not use this card again for this sale: ask for another card';
    case 'wait':
      return `do NOT swipe again: the earlier payment is being resolved${waitSeconds === null ? '' : ` (check again in ${waitSeconds} s)`}`;
    default:
      return assertNever(verdict, 'verdict');
  }
}

export function saleReportOf(answer: SaleAnswer, session: Pick<TerminalSession, 'terminalId' | 'merchantId' | 'batchNo'>, dateTimeText: string): SaleReport {
  const result = answer.kind === 'no_answer' ? 'no_answer' : answer.responseCode === '00' ? 'approved' : 'declined';
  const nextStep =
    answer.kind === 'no_answer'
      ? `no answer: the terminal sent its own reversal (answer ${answer.reversalCode ?? 'none'}); do not swipe again until the payment is looked up`
      : nextStepFor(answer.verdict, answer.waitSeconds);
  return {
    result,
    responseCode: answer.responseCode,
    verdict: answer.verdict,
    waitSeconds: answer.waitSeconds,
    cashierMessage: answer.cashierMessage,
    nextStep,
    receipt: {
      merchantId: session.merchantId,
      terminalId: session.terminalId,
      cardMasked: answer.sent.input.entry === 'qr' ? maskAuthCode(answer.sent.input.pan) : maskPan(answer.sent.input.pan),
      transactionType: 'SALE',
      entry: answer.sent.input.entry,
      batchNo: session.batchNo,
      traceNo: answer.sent.stan,
      authCode: answer.authCode,
      rrn: answer.rrn,
      dateTime: dateTimeText,
      amountMinor: answer.sent.input.amountMinor,
      amount: `CNY ${formatMinorAsYuan(answer.sent.input.amountMinor)}`,
    },
    latencyMs: answer.latencyMs,
  };
}

/** The report as the terminal screen shows it: result first, then the receipt lines. */
export function formatSaleReport(report: SaleReport): string {
  const r = report.receipt;
  const headline =
    report.result === 'approved'
      ? 'APPROVED 交易成功'
      : report.result === 'no_answer'
        ? 'NO ANSWER 无应答'
        : `DECLINED ${report.responseCode ?? '--'}`;
  const lines = [
    `  ${headline}   verdict ${report.verdict === null ? '-' : report.verdict.toUpperCase()}${report.waitSeconds === null ? '' : `:${report.waitSeconds}`}`,
    ...(report.cashierMessage === null ? [] : [`  ${report.cashierMessage}`]),
    `  next: ${report.nextStep}`,
    '  ---------------- 签购单 POS SALES SLIP ----------------',
    `  商户编号 MERCHANT   ${r.merchantId}`,
    `  终端编号 TERMINAL   ${r.terminalId}`,
    `  卡号 CARD          ${r.cardMasked} (${r.entry})`,
    `  交易类型 TYPE       消费 ${r.transactionType}`,
    `  批次号 BATCH        ${r.batchNo}     凭证号 TRACE ${r.traceNo}`,
    `  授权码 AUTH         ${r.authCode ?? '-'}`,
    `  参考号 RRN          ${r.rrn ?? '-'}`,
    `  日期时间 DATE/TIME  ${r.dateTime}`,
    `  金额 AMOUNT         ${r.amount}`,
    '  ------------------------------------------------------',
  ];
  return `${lines.join('\n')}\n`;
}

/** Local date and time as `YYYY-MM-DD hh:mm:ss`, the way a slip prints it. */
export function slipDateTime(atMs: number): string {
  const at = new Date(atMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}
