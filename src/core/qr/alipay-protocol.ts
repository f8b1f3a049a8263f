// Alipay OpenAPI (the classic gateway, `alipay.trade.*`) as pure data: the signed form of each call the
// QR port needs, and what each verified answer means for the trade, the cancel or the refund. The
// adapter (src/adapters/qr-channels/alipay-channel.ts) only moves bytes and reads the clock.
// The meanings follow docs/qr-alipay.md: `code` 10000 success, 10003 waiting for the buyer, 20000
// service unavailable, 40004 business failure with a `sub_code`; an answer that proves nothing
// (a system error) is `unknown`, never a refusal, so the engine queries and cancels.
import type { KeyObject } from 'node:crypto';
import type { QrCancelResult, QrPayRequest, QrRefundRequest, QrRefundState, QrTradeFacts, QrTradeState } from '../ports/qr-channel.ts';
import { signAlipayParams } from './alipay-signature.ts';
import { fenToYuan, yuanToFen } from './yuan-amount.ts';

export const alipayMethods = {
  pay: 'alipay.trade.pay',
  query: 'alipay.trade.query',
  cancel: 'alipay.trade.cancel',
  refund: 'alipay.trade.refund',
  refundQuery: 'alipay.trade.fastpay.refund.query',
} as const;
export type AlipayOperation = keyof typeof alipayMethods;

/** The key of the answer object for a method: `alipay.trade.pay` → `alipay_trade_pay_response`. */
export function alipayResponseKey(method: string): string {
  return `${method.replace(/\./g, '_')}_response`;
}

/** Limits Alipay puts on the fields reswipe sends (out_trade_no 64, subject 256, auth_code is short). */
export const alipayLimits = { outTradeNoMax: 64, subjectMax: 256, authCodeMax: 32, reasonMax: 256 } as const;

/** `yyyy-MM-dd HH:mm:ss` in China Standard Time (UTC+8, no daylight saving), as the gateway expects. */
export function alipayTimestamp(nowMs: number): string {
  const at = new Date(nowMs + 8 * 3_600_000);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
}

/** The business content of each call. */
export function payBizContent(request: QrPayRequest): Record<string, unknown> {
  if (request.currency !== 'CNY') throw new Error(`Alipay bar_code payments here are in CNY, not ${request.currency}`);
  if (!/^[0-9]{10,32}$/.test(request.authCode) || request.authCode.length > alipayLimits.authCodeMax) throw new Error('the auth code is not 10 to 32 digits');
  checkOutNo(request.outTradeNo, 'out_trade_no');
  const content: Record<string, unknown> = {
    out_trade_no: request.outTradeNo,
    scene: 'bar_code',
    auth_code: request.authCode,
    subject: truncateChars(request.description.length > 0 ? request.description : request.merchantId, alipayLimits.subjectMax),
    total_amount: fenToYuan(request.amountMinor),
  };
  if (request.terminalId !== null) content['terminal_id'] = request.terminalId;
  return content;
}

export function refundBizContent(request: QrRefundRequest): Record<string, unknown> {
  if (request.currency !== 'CNY') throw new Error(`Alipay refunds here are in CNY, not ${request.currency}`);
  checkOutNo(request.outTradeNo, 'out_trade_no');
  checkOutNo(request.outRefundNo, 'out_request_no');
  const content: Record<string, unknown> = {
    out_trade_no: request.outTradeNo,
    refund_amount: fenToYuan(request.refundMinor),
    // Always sent, even for a full refund: it is what makes a repeated refund the same refund.
    out_request_no: request.outRefundNo,
  };
  if (request.reason !== null && request.reason.length > 0) content['refund_reason'] = truncateChars(request.reason, alipayLimits.reasonMax);
  return content;
}

function checkOutNo(value: string, field: string): void {
  if (!/^[A-Za-z0-9_\-]{1,64}$/.test(value)) throw new Error(`${field} must be 1 to 64 letters, digits, _ or -`);
}

function truncateChars(text: string, max: number): string {
  return Array.from(text).slice(0, max).join('');
}

export interface AlipayCredentials {
  appId: string;
  privateKey: KeyObject;
}

/** The signed form parameters of one call: common parameters, `biz_content` as JSON text, and `sign`. */
export function signedAlipayForm(method: string, bizContent: Record<string, unknown>, credentials: AlipayCredentials, nowMs: number): Record<string, string> {
  return signAlipayParams(
    {
      app_id: credentials.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: alipayTimestamp(nowMs),
      version: '1.0',
      biz_content: JSON.stringify(bizContent),
    },
    credentials.privateKey,
  );
}

/** `application/x-www-form-urlencoded` body of the parameters (UTF-8, percent-encoded). */
export function formBody(params: Readonly<Record<string, string>>): string {
  return new URLSearchParams(params).toString();
}

const successCode = '10000';
const waitingCode = '10003';
const unavailableCode = '20000';
const businessFailureCode = '40004';
/** Sub-codes that prove nothing about the money: the trade may or may not be paid. */
const systemErrorSubCodes: ReadonlySet<string> = new Set(['ACQ.SYSTEM_ERROR', 'aop.ACQ.SYSTEM_ERROR', 'isp.unknow-error', 'isp.unknown-error']);

function text(response: Record<string, unknown>, name: string): string | null {
  const value = response[name];
  return typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null;
}

/** The provider code reswipe explains: the sub_code when given, else the gateway code for failures. */
function providerCodeOf(response: Record<string, unknown>): string | null {
  return text(response, 'sub_code') ?? (text(response, 'code') === successCode ? null : text(response, 'code'));
}

function providerMessageOf(response: Record<string, unknown>): string | null {
  return text(response, 'sub_msg') ?? text(response, 'msg');
}

/** Facts of a pay or query answer; amounts through yuanToFen, never a float. */
export function alipayTradeFacts(response: Record<string, unknown>): QrTradeFacts {
  const amountText = text(response, 'total_amount');
  const paidText = text(response, 'gmt_payment') ?? text(response, 'send_pay_date');
  const fundBills = response['fund_bill_list'];
  const firstBill = Array.isArray(fundBills) && typeof fundBills[0] === 'object' && fundBills[0] !== null ? (fundBills[0] as Record<string, unknown>) : null;
  return {
    providerTradeNo: text(response, 'trade_no'),
    paidAmountMinor: amountText === null ? null : yuanToFen(amountText),
    paidAtMs: paidText === null ? null : chinaTimeToMs(paidText),
    buyerLabel: text(response, 'buyer_logon_id'),
    fundSource: firstBill === null ? null : text(firstBill, 'fund_channel'),
  };
}

/** `yyyy-MM-dd HH:mm:ss` China time → epoch ms; null when it does not have that shape. */
export function chinaTimeToMs(value: string): number | null {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})$/.exec(value);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second) - 8 * 3_600_000;
}

export interface AlipayTradeMeaning {
  state: QrTradeState;
  providerCode: string | null;
  providerMessage: string | null;
  facts: QrTradeFacts;
}

/** What a verified `alipay.trade.pay` answer says. */
export function meaningOfPayAnswer(response: Record<string, unknown>): AlipayTradeMeaning {
  return { state: payState(response), providerCode: providerCodeOf(response), providerMessage: providerMessageOf(response), facts: alipayTradeFacts(response) };
}

function payState(response: Record<string, unknown>): QrTradeState {
  const code = text(response, 'code');
  const subCode = text(response, 'sub_code');
  if (code === successCode) return 'paid';
  if (code === waitingCode) return 'paying';
  if (code === unavailableCode) return 'unknown';
  if (subCode !== null && systemErrorSubCodes.has(subCode)) return 'unknown';
  if (code === businessFailureCode) {
    if (subCode === 'ACQ.TRADE_HAS_SUCCESS') return 'paid';
    if (subCode === 'ACQ.TRADE_HAS_CLOSE') return 'closed';
    return 'failed';
  }
  // 40001 missing parameter, 40002 invalid parameter (a bad signature of ours), 40006 no permission,
  // 20001 bad token: refused at the gateway before any trade was made.
  if (code === '40001' || code === '40002' || code === '40006' || code === '20001') return 'failed';
  return 'unknown';
}

/** What a verified `alipay.trade.query` answer says. */
export function meaningOfQueryAnswer(response: Record<string, unknown>): AlipayTradeMeaning {
  return { state: queryState(response), providerCode: providerCodeOf(response), providerMessage: providerMessageOf(response), facts: alipayTradeFacts(response) };
}

function queryState(response: Record<string, unknown>): QrTradeState {
  const code = text(response, 'code');
  if (code === successCode) {
    switch (text(response, 'trade_status')) {
      case 'WAIT_BUYER_PAY':
        return 'paying';
      case 'TRADE_SUCCESS':
      case 'TRADE_FINISHED':
        return 'paid';
      case 'TRADE_CLOSED':
        // Alipay closes a fully refunded trade too; one that had been paid carries its pay date.
        return text(response, 'send_pay_date') !== null ? 'refunded' : 'closed';
      default:
        return 'unknown';
    }
  }
  if (code === businessFailureCode && text(response, 'sub_code') === 'ACQ.TRADE_NOT_EXIST') return 'not_found';
  // Any other failure of a query says nothing about the trade.
  return 'unknown';
}

export type AlipayCancelMeaning = Omit<Extract<QrCancelResult, { kind: 'answer' }>, 'kind' | 'sentAtMs' | 'latencyMs'>;

/** What a verified `alipay.trade.cancel` answer says. */
export function meaningOfCancelAnswer(response: Record<string, unknown>): AlipayCancelMeaning {
  const code = text(response, 'code');
  const subCode = text(response, 'sub_code');
  const retry = text(response, 'retry_flag') === 'Y';
  const actionText = text(response, 'action');
  const action: 'close' | 'refund' | null = actionText === 'close' || actionText === 'refund' ? actionText : null;
  const base = { providerCode: providerCodeOf(response), providerMessage: providerMessageOf(response), action };
  if (code === successCode) return { ...base, cancelled: !retry, callAgain: retry };
  // A trade Alipay never saw: nothing was charged, and the cancel has closed the out_trade_no.
  if (code === businessFailureCode && subCode === 'ACQ.TRADE_NOT_EXIST') return { ...base, cancelled: true, callAgain: false };
  const systemError = code === unavailableCode || (subCode !== null && systemErrorSubCodes.has(subCode));
  return { ...base, cancelled: false, callAgain: retry || systemError };
}

export interface AlipayRefundMeaning {
  state: QrRefundState;
  providerCode: string | null;
  providerMessage: string | null;
  providerRefundNo: string | null;
  refundedMinor: number | null;
}

/**
 * What a verified `alipay.trade.refund` answer says. 10000 means this out_request_no is refunded (a
 * repeat answers 10000 with fund_change N: the money moved the first time); `refundedMinor` is the
 * amount asked, which Alipay has accepted (its `refund_fee` is the trade's running total, not this refund).
 */
export function meaningOfRefundAnswer(response: Record<string, unknown>, requestedMinor: number): AlipayRefundMeaning {
  const code = text(response, 'code');
  const subCode = text(response, 'sub_code');
  const base = { providerCode: providerCodeOf(response), providerMessage: providerMessageOf(response), providerRefundNo: text(response, 'trade_no') };
  if (code === successCode) return { ...base, state: 'refunded', refundedMinor: requestedMinor };
  if (code === unavailableCode || (subCode !== null && systemErrorSubCodes.has(subCode))) return { ...base, state: 'unknown', refundedMinor: null };
  if (code === businessFailureCode && subCode === 'ACQ.TRADE_NOT_EXIST') return { ...base, state: 'not_found', refundedMinor: null };
  if (code === businessFailureCode || code === '40001' || code === '40002' || code === '40006') return { ...base, state: 'failed', refundedMinor: null };
  return { ...base, state: 'unknown', refundedMinor: null };
}

/**
 * What a verified `alipay.trade.fastpay.refund.query` answer says: 10000 with `refund_status`
 * REFUND_SUCCESS (or, from older gateways, a refund_amount without a status) is refunded; 10000
 * naming no refund means Alipay has none under that out_request_no.
 */
export function meaningOfRefundQueryAnswer(response: Record<string, unknown>): AlipayRefundMeaning {
  const code = text(response, 'code');
  const subCode = text(response, 'sub_code');
  const base = { providerCode: providerCodeOf(response), providerMessage: providerMessageOf(response), providerRefundNo: text(response, 'trade_no') };
  if (code === successCode) {
    const amountText = text(response, 'refund_amount');
    const status = text(response, 'refund_status');
    if (amountText === null && status === null) return { ...base, state: 'not_found', refundedMinor: null };
    if (status === 'REFUND_SUCCESS' || (status === null && amountText !== null)) {
      return { ...base, state: 'refunded', refundedMinor: amountText === null ? null : yuanToFen(amountText) };
    }
    return { ...base, state: 'processing', refundedMinor: null };
  }
  if (code === businessFailureCode && subCode === 'ACQ.TRADE_NOT_EXIST') return { ...base, state: 'not_found', refundedMinor: null };
  return { ...base, state: 'unknown', refundedMinor: null };
}
