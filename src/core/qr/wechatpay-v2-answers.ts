// What a WeChat Pay API v2 answer means for the money, as the port's states (src/core/ports/qr-channel.ts).
// Pure: the adapter decodes and verifies the XML, these functions read the verified fields.
//
// return_code is the transport flag (通信标识): FAIL means WeChat refused the request before looking at
// the business (bad signature, bad XML, missing field), so nothing happened; those answers carry no
// signature. result_code and err_code are the business answer; trade_state is orderquery's view.
import type { QrRefundState, QrTradeFacts, QrTradeState } from '../ports/qr-channel.ts';

type Fields = Readonly<Record<string, string>>;

/** err_codes of pay/micropay after which the money is in doubt or in motion, and what they mean. */
const micropayStateOfErrCode: Readonly<Record<string, QrTradeState>> = {
  // The customer must still confirm (password, large amount): query until decided.
  USERPAYING: 'paying',
  // WeChat's or the bank's system failed mid-way: the trade may or may not be paid.
  SYSTEMERROR: 'unknown',
  BANKERROR: 'unknown',
  // This out_trade_no was paid by an earlier micropay (a resend after a lost answer). The answer has no
  // transaction facts, so it is `unknown`: the engine queries, and the query finds SUCCESS with them.
  ORDERPAID: 'unknown',
  // The out_trade_no was used with other parameters: whatever happened to it, a query tells.
  OUT_TRADE_NO_USED: 'unknown',
  // The order was closed or reversed earlier: nothing is charged under this out_trade_no.
  ORDERCLOSED: 'closed',
  ORDERREVERSED: 'closed',
  // Definite refusals, nothing charged.
  NOTENOUGH: 'failed',
  AUTHCODEEXPIRE: 'failed',
  NOTSUPORTCARD: 'failed',
  AUTH_CODE_ERROR: 'failed',
  AUTH_CODE_INVALID: 'failed',
  BUYER_MISMATCH: 'failed',
  NOAUTH: 'failed',
  PARAM_ERROR: 'failed',
  TRADE_ERROR: 'failed',
  XML_FORMAT_ERROR: 'failed',
  REQUIRE_POST_METHOD: 'failed',
  SIGNERROR: 'failed',
  LACK_PARAMS: 'failed',
  NOT_UTF8: 'failed',
  APPID_NOT_EXIST: 'failed',
  MCHID_NOT_EXIST: 'failed',
  APPID_MCHID_NOT_MATCH: 'failed',
  INVALID_REQUEST: 'failed',
  FREQUENCY_LIMITED: 'failed',
  TRADE_STATE_ERROR: 'failed',
};

/** WeChat's trade_state values, for orderquery. */
const stateOfTradeState: Readonly<Record<string, QrTradeState>> = {
  SUCCESS: 'paid',
  REFUND: 'refunded',
  // NOTPAY: the order exists and is not paid yet. For a 付款码 order it is not final (the customer may
  // still confirm), so it is treated like USERPAYING: query on, then cancel, never a second order.
  NOTPAY: 'paying',
  USERPAYING: 'paying',
  CLOSED: 'closed',
  REVOKED: 'closed',
  PAYERROR: 'failed',
};

export type WechatAnswerReading<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface WechatTradeReading {
  state: QrTradeState;
  providerCode: string | null;
  providerMessage: string | null;
  facts: QrTradeFacts;
}

export interface WechatCancelReading {
  cancelled: boolean;
  callAgain: boolean;
  providerCode: string | null;
  providerMessage: string | null;
}

export interface WechatRefundReading {
  state: QrRefundState;
  providerCode: string | null;
  providerMessage: string | null;
  providerRefundNo: string | null;
  refundedMinor: number | null;
}

/**
 * The err_code a return_code FAIL answer stands for, read from its return_msg (which is all WeChat
 * gives): `签名错误` is SIGNERROR, and so on; null when the text names none of them.
 */
export function codeOfReturnMessage(message: string): string | null {
  const named = /^([A-Z][A-Z_]{3,40})\b/.exec(message);
  if (named !== null) return named[1] as string;
  const patterns: Array<[RegExp, string]> = [
    [/签名|sign/i, 'SIGNERROR'],
    [/XML/i, 'XML_FORMAT_ERROR'],
    [/post/i, 'REQUIRE_POST_METHOD'],
    [/UTF-?8|编码/i, 'NOT_UTF8'],
    [/缺少|lack/i, 'LACK_PARAMS'],
    [/appid.*mch_?id|不匹配/i, 'APPID_MCHID_NOT_MATCH'],
    [/appid/i, 'APPID_NOT_EXIST'],
    [/mch_?id|商户号/i, 'MCHID_NOT_EXIST'],
    [/频率|frequen/i, 'FREQUENCY_LIMITED'],
  ];
  return patterns.find(([pattern]) => pattern.test(message))?.[1] ?? null;
}

function integerOrNull(text: string | undefined): number | null {
  return text !== undefined && /^[0-9]{1,15}$/.test(text) ? Number(text) : null;
}

function textOrNull(text: string | undefined): string | null {
  return text === undefined || text === '' ? null : text;
}

/** time_end (yyyyMMddHHmmss, China time, UTC+8) as epoch milliseconds; null when absent or not a time. */
export function epochOfChinaTime(text: string | undefined): number | null {
  const parts = text === undefined ? null : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (parts === null) return null;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second) - 8 * 3_600_000;
}

function tradeFacts(fields: Fields): QrTradeFacts {
  return {
    providerTradeNo: textOrNull(fields.transaction_id),
    paidAmountMinor: integerOrNull(fields.total_fee),
    paidAtMs: epochOfChinaTime(fields.time_end),
    // The openid identifies the payer to this merchant only and means nothing on a receipt.
    buyerLabel: null,
    fundSource: textOrNull(fields.bank_type),
  };
}

const noFacts: QrTradeFacts = Object.freeze({ providerTradeNo: null, paidAmountMinor: null, paidAtMs: null, buyerLabel: null, fundSource: null });

/** An answer about another order than ours is not an answer to our question. */
function checkOutTradeNo(fields: Fields, outTradeNo: string): string | null {
  const named = fields.out_trade_no;
  return named !== undefined && named !== '' && named !== outTradeNo ? `the answer names out_trade_no ${named}, not ours` : null;
}

/** A return_code FAIL answer: refused before the business, nothing happened. */
function returnFail(fields: Fields): { providerCode: string | null; providerMessage: string | null } {
  const message = textOrNull(fields.return_msg);
  return { providerCode: message === null ? null : codeOfReturnMessage(message), providerMessage: message };
}

/** pay/micropay's answer. `fields` are decoded and, when return_code is SUCCESS, their signature verified. */
export function readMicropayAnswer(fields: Fields, outTradeNo: string): WechatAnswerReading<WechatTradeReading> {
  if (fields.return_code === 'FAIL') return { ok: true, value: { state: 'failed', ...returnFail(fields), facts: noFacts } };
  if (fields.return_code !== 'SUCCESS') return { ok: false, reason: 'return_code is neither SUCCESS nor FAIL' };
  const mismatch = checkOutTradeNo(fields, outTradeNo);
  if (mismatch !== null) return { ok: false, reason: mismatch };
  if (fields.result_code === 'SUCCESS') {
    return { ok: true, value: { state: 'paid', providerCode: null, providerMessage: null, facts: tradeFacts(fields) } };
  }
  if (fields.result_code !== 'FAIL') return { ok: false, reason: 'result_code is neither SUCCESS nor FAIL' };
  const code = textOrNull(fields.err_code);
  // An err_code this table does not know may hide a payment: unknown, so the engine queries.
  const state = code === null ? 'unknown' : (micropayStateOfErrCode[code] ?? 'unknown');
  return { ok: true, value: { state, providerCode: code, providerMessage: textOrNull(fields.err_code_des), facts: noFacts } };
}

/** pay/orderquery's answer. */
export function readOrderQueryAnswer(fields: Fields, outTradeNo: string): WechatAnswerReading<WechatTradeReading> {
  // A query refused at the transport level says nothing about the trade.
  if (fields.return_code === 'FAIL') return { ok: true, value: { state: 'unknown', ...returnFail(fields), facts: noFacts } };
  if (fields.return_code !== 'SUCCESS') return { ok: false, reason: 'return_code is neither SUCCESS nor FAIL' };
  const mismatch = checkOutTradeNo(fields, outTradeNo);
  if (mismatch !== null) return { ok: false, reason: mismatch };
  if (fields.result_code === 'FAIL') {
    const code = textOrNull(fields.err_code);
    return { ok: true, value: { state: code === 'ORDERNOTEXIST' ? 'not_found' : 'unknown', providerCode: code, providerMessage: textOrNull(fields.err_code_des), facts: noFacts } };
  }
  if (fields.result_code !== 'SUCCESS') return { ok: false, reason: 'result_code is neither SUCCESS nor FAIL' };
  const tradeState = fields.trade_state ?? '';
  const state = stateOfTradeState[tradeState];
  if (state === undefined) return { ok: false, reason: `unknown trade_state ${JSON.stringify(tradeState.slice(0, 32))}` };
  const paid = state === 'paid' || state === 'refunded';
  return {
    ok: true,
    value: { state, providerCode: tradeState, providerMessage: textOrNull(fields.trade_state_desc), facts: paid ? tradeFacts(fields) : { ...noFacts, providerTradeNo: textOrNull(fields.transaction_id) } },
  };
}

/** secapi/pay/reverse's answer: result_code SUCCESS is a cancelled (or never paid) trade; recall=Y asks for another reverse. */
export function readReverseAnswer(fields: Fields): WechatAnswerReading<WechatCancelReading> {
  if (fields.return_code === 'FAIL') return { ok: true, value: { cancelled: false, callAgain: false, ...returnFail(fields) } };
  if (fields.return_code !== 'SUCCESS') return { ok: false, reason: 'return_code is neither SUCCESS nor FAIL' };
  const callAgain = fields.recall === 'Y';
  if (fields.result_code === 'SUCCESS') return { ok: true, value: { cancelled: true, callAgain, providerCode: null, providerMessage: null } };
  if (fields.result_code !== 'FAIL') return { ok: false, reason: 'result_code is neither SUCCESS nor FAIL' };
  return { ok: true, value: { cancelled: false, callAgain, providerCode: textOrNull(fields.err_code), providerMessage: textOrNull(fields.err_code_des) } };
}

/** err_codes of secapi/pay/refund after which the refund may still happen: ask again with the same out_refund_no. */
const refundInDoubtCodes: ReadonlySet<string> = new Set(['SYSTEMERROR', 'BIZERR_NEED_RETRY', 'FREQUENCY_LIMITED']);

/**
 * secapi/pay/refund's answer. result_code SUCCESS means WeChat accepted the refund (申请接收成功), not
 * that it reached the customer: `processing`, and refundquery tells when it is `refunded`.
 */
export function readRefundAnswer(fields: Fields, outTradeNo: string): WechatAnswerReading<WechatRefundReading> {
  if (fields.return_code === 'FAIL') return { ok: true, value: { state: 'failed', ...returnFail(fields), providerRefundNo: null, refundedMinor: null } };
  if (fields.return_code !== 'SUCCESS') return { ok: false, reason: 'return_code is neither SUCCESS nor FAIL' };
  const mismatch = checkOutTradeNo(fields, outTradeNo);
  if (mismatch !== null) return { ok: false, reason: mismatch };
  if (fields.result_code === 'SUCCESS') {
    return { ok: true, value: { state: 'processing', providerCode: null, providerMessage: null, providerRefundNo: textOrNull(fields.refund_id), refundedMinor: integerOrNull(fields.refund_fee) } };
  }
  if (fields.result_code !== 'FAIL') return { ok: false, reason: 'result_code is neither SUCCESS nor FAIL' };
  const code = textOrNull(fields.err_code);
  const state: QrRefundState = code === null || refundInDoubtCodes.has(code) ? 'unknown' : 'failed';
  return { ok: true, value: { state, providerCode: code, providerMessage: textOrNull(fields.err_code_des), providerRefundNo: null, refundedMinor: null } };
}

/** refund_status_N values: SUCCESS done; PROCESSING not yet; REFUNDCLOSE closed; CHANGE: the money could not reach the customer's card and needs a person. */
const refundStateOfStatus: Readonly<Record<string, QrRefundState>> = { SUCCESS: 'refunded', PROCESSING: 'processing', REFUNDCLOSE: 'failed', CHANGE: 'unknown' };

/** pay/refundquery's answer, for the refund `outRefundNo` among the listed ones (`out_refund_no_$n`). */
export function readRefundQueryAnswer(fields: Fields, outRefundNo: string): WechatAnswerReading<WechatRefundReading> {
  if (fields.return_code === 'FAIL') return { ok: true, value: { state: 'unknown', ...returnFail(fields), providerRefundNo: null, refundedMinor: null } };
  if (fields.return_code !== 'SUCCESS') return { ok: false, reason: 'return_code is neither SUCCESS nor FAIL' };
  if (fields.result_code === 'FAIL') {
    const code = textOrNull(fields.err_code);
    const notFound = code === 'REFUNDNOTEXIST' || code === 'ORDERNOTEXIST';
    return { ok: true, value: { state: notFound ? 'not_found' : 'unknown', providerCode: code, providerMessage: textOrNull(fields.err_code_des), providerRefundNo: null, refundedMinor: null } };
  }
  if (fields.result_code !== 'SUCCESS') return { ok: false, reason: 'result_code is neither SUCCESS nor FAIL' };
  const count = integerOrNull(fields.refund_count);
  if (count === null || count > 100) return { ok: false, reason: 'refund_count is missing or out of range' };
  for (let index = 0; index < count; index++) {
    if (fields[`out_refund_no_${index}`] !== outRefundNo) continue;
    const status = fields[`refund_status_${index}`] ?? '';
    const state = refundStateOfStatus[status];
    if (state === undefined) return { ok: false, reason: `unknown refund_status ${JSON.stringify(status.slice(0, 32))}` };
    return {
      ok: true,
      value: { state, providerCode: status, providerMessage: null, providerRefundNo: textOrNull(fields[`refund_id_${index}`]), refundedMinor: integerOrNull(fields[`refund_fee_${index}`]) },
    };
  }
  return { ok: true, value: { state: 'not_found', providerCode: null, providerMessage: 'the answer lists no refund with this out_refund_no', providerRefundNo: null, refundedMinor: null } };
}
