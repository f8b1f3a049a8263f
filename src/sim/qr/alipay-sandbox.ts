// Alipay in the QR sandbox: the classic gateway's `alipay.trade.pay` (bar_code), `query`, `cancel`,
// `refund` and `fastpay.refund.query`, with the same form, the same RSA2 signatures both ways (the
// sandbox signs with its own key pair and checks requests with the merchant's public key), a book of
// trades and magic auth codes for every outcome; faults are the sandbox server's (qr-fault-plan.ts).
// docs/qr-sandbox.md lists the codes. Alipay's semantics are followed where they matter to money: a
// cancel refunds a paid trade (action refund) and closes an unpaid or unknown one (action close, and
// a late pay of that out_trade_no is then refused), refunds never exceed what was paid, and a
// repeated out_request_no is the same refund.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { alipayResponseKey, alipayTimestamp } from '../../core/qr/alipay-protocol.ts';
import { alipaySignContent, parseAlipayPrivateKey, parseAlipayPublicKey, signAlipayContent, verifyAlipaySignature } from '../../core/qr/alipay-signature.ts';
import { fenToYuan, yuanToFen } from '../../core/qr/yuan-amount.ts';
import { maskAuthCode } from '../../core/qr/mask-auth-code.ts';
import type { QrMagicCode, QrSandboxAnswer, QrSandboxProvider, QrSandboxRequest } from './qr-sandbox-provider.ts';

/** The last three digits of an 18-digit auth code starting `28` choose the outcome; any other code pays. */
export const alipayMagicSuffixes = {
  paid: '000',
  payingThenPaid: '101',
  payingThenClosed: '102',
  balanceTooLow: '201',
  codeInvalid: '202',
  systemErrorMoneyTaken: '301',
  noAnswerMoneyTaken: '302',
  noAnswerNothingTaken: '303',
} as const;
export type AlipayMagicOutcome = keyof typeof alipayMagicSuffixes;

/** A magic auth code for an outcome (`28` + 13 digits of `serial` + the suffix). */
export function alipayMagicAuthCode(outcome: AlipayMagicOutcome, serial = 0): string {
  return `28${String(serial).padStart(13, '0').slice(-13)}${alipayMagicSuffixes[outcome]}`;
}

/** Queries a paying trade answers WAIT_BUYER_PAY before it is paid or closed. */
export const alipayPayingQueries = 2;

type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

export interface AlipaySandboxTrade {
  outTradeNo: string;
  tradeNo: string;
  totalFen: number;
  status: TradeStatus;
  /** Whether money was ever taken (a fully refunded or cancelled-after-paid trade is closed but was paid). */
  wasPaid: boolean;
  authCodeMasked: string;
  /** WAIT_BUYER_PAY answers left before `then`. */
  payingQueriesLeft: number;
  then: 'TRADE_SUCCESS' | 'TRADE_CLOSED';
  paidAtMs: number | null;
  refunds: Map<string, number>;
  refundedFen: number;
}

export interface AlipaySandboxOptions {
  appId: string;
  /** The sandbox's own private key (signs answers); the channel trusts its public half as "Alipay's". */
  sandboxPrivateKey: KeyObject;
  /** The merchant application's public key (verifies requests). */
  merchantPublicKey: KeyObject;
  nowMs?: () => number;
  /** Most trades kept; the oldest are forgotten beyond. Default 100000. */
  tradesMax?: number;
}

/** The gateway path the sandbox answers: a channel's baseUrl is `{sandbox url}/gateway.do`. */
export const alipaySandboxPath = '/gateway.do';

export interface AlipaySandbox extends QrSandboxProvider {
  trade(outTradeNo: string): AlipaySandboxTrade | undefined;
  trades(): AlipaySandboxTrade[];
  /** Every request handled, by method (for tests that count queries). */
  requestCounts(): Record<string, number>;
}

const requestBodyMax = 16_384;

/** The two RSA pairs a sandbox run needs, as PEM text: the merchant's and the sandbox's ("Alipay's"). */
export interface AlipaySandboxKeysPem {
  merchantPrivateKeyPem: string;
  merchantPublicKeyPem: string;
  sandboxPrivateKeyPem: string;
  sandboxPublicKeyPem: string;
}

/**
 * Fresh throwaway key pairs for a sandbox run (the demo, `qr-sim`, tests): the gateway's Alipay channel
 * is configured with the merchant's private key and the sandbox's public key, the sandbox with the
 * other two. Never used against the real Alipay.
 */
export function generateAlipaySandboxKeys(): AlipaySandboxKeysPem {
  const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const merchant = pair();
  const sandbox = pair();
  return { merchantPrivateKeyPem: merchant.privateKey, merchantPublicKeyPem: merchant.publicKey, sandboxPrivateKeyPem: sandbox.privateKey, sandboxPublicKeyPem: sandbox.publicKey };
}

/** The sandbox from key text (PEM or bare base64, as the channel reads them). */
export function createAlipaySandboxFromPem(options: { appId: string; sandboxPrivateKeyPem: string; merchantPublicKeyPem: string; tradesMax?: number; nowMs?: () => number }): AlipaySandbox {
  return createAlipaySandbox({
    appId: options.appId,
    sandboxPrivateKey: parseAlipayPrivateKey(options.sandboxPrivateKeyPem),
    merchantPublicKey: parseAlipayPublicKey(options.merchantPublicKeyPem),
    ...(options.tradesMax !== undefined ? { tradesMax: options.tradesMax } : {}),
    ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}),
  });
}

export function createAlipaySandbox(options: AlipaySandboxOptions): AlipaySandbox {
  const nowMs = options.nowMs ?? Date.now;
  const tradesMax = options.tradesMax ?? 100_000;
  const book = new Map<string, AlipaySandboxTrade>();
  const counts: Record<string, number> = {};
  let nextTradeNo = 1;

  function signedAnswer(method: string, response: Record<string, unknown>, silent: boolean): QrSandboxAnswer {
    // Alipay escapes "/" in its JSON and signs the text as sent; doing the same keeps verifiers honest.
    const responseText = JSON.stringify(response).replace(/\//g, '\\/');
    const key = method in handlers ? alipayResponseKey(method) : 'error_response';
    const bodyWith = (sign: string): string => `{"${key}":${responseText},"sign":"${sign}"}`;
    return {
      status: 200,
      contentType: 'application/json;charset=utf-8',
      body: bodyWith(signAlipayContent(responseText, options.sandboxPrivateKey)),
      // A real signature over other text: well-formed, and it does not verify.
      bodyWithBadSignature: bodyWith(signAlipayContent(`${responseText} `, options.sandboxPrivateKey)),
      delivery: silent ? 'silent' : 'answer',
    };
  }

  async function handle(request: QrSandboxRequest): Promise<QrSandboxAnswer> {
    if (request.body.length > requestBodyMax) return { status: 413, contentType: 'text/plain', body: 'request too large', bodyWithBadSignature: null, delivery: 'answer' };
    // The SDKs put the common parameters in the query string or the form: both count, as at Alipay.
    const params = { ...Object.fromEntries(request.query), ...Object.fromEntries(new URLSearchParams(request.body)) };
    const method = params['method'] ?? '';
    // Counted by known method only, so requests naming random methods cannot grow the map.
    const counted = method in handlers ? method : 'other';
    counts[counted] = (counts[counted] ?? 0) + 1;
    const { response, drop } = decide(method, params);
    return signedAnswer(method, response, drop);
  }

  function decide(method: string, params: Record<string, string>): { response: Record<string, unknown>; drop: boolean } {
    const handler = handlers[method];
    if (handler === undefined) return { response: failure('40002', 'Invalid Arguments', 'isv.invalid-method', '不存在的方法名'), drop: false };
    if (params['app_id'] !== options.appId) return { response: failure('40002', 'Invalid Arguments', 'isv.invalid-app-id', '无效的AppID参数'), drop: false };
    if (params['sign_type'] !== 'RSA2') return { response: failure('40002', 'Invalid Arguments', 'isv.invalid-signature-type', '无效的签名类型'), drop: false };
    const sign = params['sign'] ?? '';
    if (!verifyAlipaySignature(alipaySignContent(params), sign, options.merchantPublicKey)) {
      return { response: failure('40002', 'Invalid Arguments', 'isv.invalid-signature', '验签出错'), drop: false };
    }
    let content: Record<string, unknown>;
    try {
      content = JSON.parse(params['biz_content'] ?? '') as Record<string, unknown>;
    } catch {
      return { response: failure('40002', 'Invalid Arguments', 'isv.invalid-parameter', '参数无效: biz_content 不是 JSON'), drop: false };
    }
    return handler(content);
  }

  const handlers: Record<string, (content: Record<string, unknown>) => { response: Record<string, unknown>; drop: boolean }> = {
    'alipay.trade.pay': pay,
    'alipay.trade.query': (content) => ({ response: query(content), drop: false }),
    'alipay.trade.cancel': (content) => ({ response: cancel(content), drop: false }),
    'alipay.trade.refund': (content) => ({ response: refund(content), drop: false }),
    'alipay.trade.fastpay.refund.query': (content) => ({ response: refundQuery(content), drop: false }),
  };

  function pay(content: Record<string, unknown>): { response: Record<string, unknown>; drop: boolean } {
    const outTradeNo = stringField(content, 'out_trade_no');
    const authCode = stringField(content, 'auth_code');
    const totalFen = yuanToFen(stringField(content, 'total_amount'));
    if (outTradeNo === '' || authCode === '' || totalFen === null || totalFen < 1 || stringField(content, 'scene') !== 'bar_code') {
      return { response: failure('40004', 'Business Failed', 'ACQ.INVALID_PARAMETER', '参数无效'), drop: false };
    }
    const existing = book.get(outTradeNo);
    if (existing !== undefined) {
      if (existing.status === 'TRADE_SUCCESS') return { response: failure('40004', 'Business Failed', 'ACQ.TRADE_HAS_SUCCESS', '交易已被支付'), drop: false };
      if (existing.status === 'TRADE_CLOSED') return { response: failure('40004', 'Business Failed', 'ACQ.TRADE_HAS_CLOSE', '交易已经关闭'), drop: false };
      return { response: { code: '10003', msg: ' order success pay inprocess', ...tradeFields(existing) }, drop: false };
    }
    const suffix = /^28[0-9]{16}$/.test(authCode) ? authCode.slice(-3) : alipayMagicSuffixes.paid;
    switch (suffix) {
      case alipayMagicSuffixes.balanceTooLow:
        return { response: failure('40004', 'Business Failed', 'ACQ.BUYER_BALANCE_NOT_ENOUGH', '买家余额不足'), drop: false };
      case alipayMagicSuffixes.codeInvalid:
        return { response: failure('40004', 'Business Failed', 'ACQ.PAYMENT_AUTH_CODE_INVALID', '支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款'), drop: false };
      case alipayMagicSuffixes.noAnswerNothingTaken:
        return { response: {}, drop: true };
      case alipayMagicSuffixes.payingThenPaid:
      case alipayMagicSuffixes.payingThenClosed: {
        const trade = record(outTradeNo, totalFen, authCode, 'WAIT_BUYER_PAY', suffix === alipayMagicSuffixes.payingThenPaid ? 'TRADE_SUCCESS' : 'TRADE_CLOSED');
        return { response: { code: '10003', msg: ' order success pay inprocess', ...tradeFields(trade) }, drop: false };
      }
      case alipayMagicSuffixes.systemErrorMoneyTaken: {
        record(outTradeNo, totalFen, authCode, 'TRADE_SUCCESS', 'TRADE_SUCCESS');
        return { response: failure('40004', 'Business Failed', 'ACQ.SYSTEM_ERROR', '系统错误'), drop: false };
      }
      case alipayMagicSuffixes.noAnswerMoneyTaken:
        record(outTradeNo, totalFen, authCode, 'TRADE_SUCCESS', 'TRADE_SUCCESS');
        return { response: {}, drop: true };
      default: {
        const trade = record(outTradeNo, totalFen, authCode, 'TRADE_SUCCESS', 'TRADE_SUCCESS');
        return { response: { code: '10000', msg: 'Success', ...tradeFields(trade) }, drop: false };
      }
    }
  }

  function record(outTradeNo: string, totalFen: number, authCode: string, status: TradeStatus, then: 'TRADE_SUCCESS' | 'TRADE_CLOSED'): AlipaySandboxTrade {
    if (book.size >= tradesMax) {
      const oldest = book.keys().next().value;
      if (oldest !== undefined) book.delete(oldest);
    }
    const paid = status === 'TRADE_SUCCESS';
    const trade: AlipaySandboxTrade = {
      outTradeNo,
      tradeNo: `2026${String(nextTradeNo++).padStart(24, '0')}`,
      totalFen,
      status,
      wasPaid: paid,
      authCodeMasked: maskAuthCode(authCode),
      payingQueriesLeft: alipayPayingQueries,
      then,
      paidAtMs: paid ? nowMs() : null,
      refunds: new Map(),
      refundedFen: 0,
    };
    book.set(outTradeNo, trade);
    return trade;
  }

  function tradeFields(trade: AlipaySandboxTrade): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      buyer_logon_id: 'san***@example.com',
      total_amount: fenToYuan(trade.totalFen),
    };
    if (trade.paidAtMs !== null) {
      fields['gmt_payment'] = alipayTimestamp(trade.paidAtMs);
      fields['receipt_amount'] = fenToYuan(trade.totalFen);
      fields['fund_bill_list'] = [{ fund_channel: 'ALIPAYACCOUNT', amount: fenToYuan(trade.totalFen) }];
    }
    return fields;
  }

  function query(content: Record<string, unknown>): Record<string, unknown> {
    const trade = book.get(stringField(content, 'out_trade_no'));
    if (trade === undefined) return failure('40004', 'Business Failed', 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    if (trade.status === 'WAIT_BUYER_PAY') {
      if (trade.payingQueriesLeft > 0) trade.payingQueriesLeft -= 1;
      else {
        trade.status = trade.then;
        if (trade.then === 'TRADE_SUCCESS') {
          trade.wasPaid = true;
          trade.paidAtMs = nowMs();
        }
      }
    }
    const fields: Record<string, unknown> = { code: '10000', msg: 'Success', ...tradeFields(trade), trade_status: trade.status };
    delete fields['gmt_payment'];
    if (trade.paidAtMs !== null) fields['send_pay_date'] = alipayTimestamp(trade.paidAtMs);
    return fields;
  }

  function cancel(content: Record<string, unknown>): Record<string, unknown> {
    const outTradeNo = stringField(content, 'out_trade_no');
    if (outTradeNo === '') return failure('40004', 'Business Failed', 'ACQ.INVALID_PARAMETER', '参数无效');
    const trade = book.get(outTradeNo);
    if (trade === undefined) {
      // Alipay closes the out_trade_no so a pay arriving late is refused.
      const closed = record(outTradeNo, 1, '000000', 'TRADE_CLOSED', 'TRADE_CLOSED');
      closed.wasPaid = false;
      return { code: '10000', msg: 'Success', out_trade_no: outTradeNo, retry_flag: 'N', action: 'close' };
    }
    if (trade.refundedFen > 0) return { ...failure('40004', 'Business Failed', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法'), retry_flag: 'N' };
    const action = trade.wasPaid || trade.status === 'TRADE_SUCCESS' ? 'refund' : 'close';
    trade.status = 'TRADE_CLOSED';
    return { code: '10000', msg: 'Success', trade_no: trade.tradeNo, out_trade_no: outTradeNo, retry_flag: 'N', action };
  }

  function refund(content: Record<string, unknown>): Record<string, unknown> {
    const trade = book.get(stringField(content, 'out_trade_no'));
    const amountFen = yuanToFen(stringField(content, 'refund_amount'));
    const requestNo = stringField(content, 'out_request_no') || stringField(content, 'out_trade_no');
    if (amountFen === null || amountFen < 1) return failure('40004', 'Business Failed', 'ACQ.INVALID_PARAMETER', '参数无效');
    if (trade === undefined) return failure('40004', 'Business Failed', 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    const earlier = trade.refunds.get(requestNo);
    if (earlier !== undefined) {
      if (earlier !== amountFen) return failure('40004', 'Business Failed', 'ACQ.DISCORDANT_REPEAT_REQUEST', '请求信息不一致');
      return refundAnswer(trade, 'N');
    }
    if (!trade.wasPaid || (trade.status === 'TRADE_CLOSED' && trade.refundedFen === 0)) return failure('40004', 'Business Failed', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (trade.refundedFen + amountFen > trade.totalFen) return failure('40004', 'Business Failed', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    trade.refunds.set(requestNo, amountFen);
    trade.refundedFen += amountFen;
    if (trade.refundedFen === trade.totalFen) trade.status = 'TRADE_CLOSED';
    return refundAnswer(trade, 'Y');
  }

  function refundAnswer(trade: AlipaySandboxTrade, fundChange: 'Y' | 'N'): Record<string, unknown> {
    return {
      code: '10000',
      msg: 'Success',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      buyer_logon_id: 'san***@example.com',
      fund_change: fundChange,
      refund_fee: fenToYuan(trade.refundedFen),
    };
  }

  function refundQuery(content: Record<string, unknown>): Record<string, unknown> {
    const trade = book.get(stringField(content, 'out_trade_no'));
    if (trade === undefined) return failure('40004', 'Business Failed', 'ACQ.TRADE_NOT_EXIST', '交易不存在');
    const requestNo = stringField(content, 'out_request_no');
    const amountFen = trade.refunds.get(requestNo);
    if (amountFen === undefined) return { code: '10000', msg: 'Success' };
    return {
      code: '10000',
      msg: 'Success',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      out_request_no: requestNo,
      total_amount: fenToYuan(trade.totalFen),
      refund_amount: fenToYuan(amountFen),
      refund_status: 'REFUND_SUCCESS',
    };
  }

  return {
    name: 'alipay',
    handles: (path) => path === alipaySandboxPath,
    handle,
    view: () => ({
      trades: [...book.values()].map((trade) => ({ ...trade, refunds: Object.fromEntries(trade.refunds) })),
      requests: { ...counts },
    }),
    reset: () => {
      book.clear();
      for (const method of Object.keys(counts)) delete counts[method];
    },
    magicCodes: () => alipayMagicCodeTable,
    trade: (outTradeNo) => book.get(outTradeNo),
    trades: () => [...book.values()],
    requestCounts: () => ({ ...counts }),
  };
}

const outcomeText: Readonly<Record<AlipayMagicOutcome, string>> = {
  paid: 'paid at once (10000); any other well-formed code too',
  payingThenPaid: `paying (10003), then TRADE_SUCCESS after ${alipayPayingQueries} WAIT_BUYER_PAY queries`,
  payingThenClosed: `paying (10003), then TRADE_CLOSED (the customer gave up) after ${alipayPayingQueries} WAIT_BUYER_PAY queries`,
  balanceTooLow: '40004 ACQ.BUYER_BALANCE_NOT_ENOUGH, nothing taken',
  codeInvalid: '40004 ACQ.PAYMENT_AUTH_CODE_INVALID (expired or not a code), nothing taken',
  systemErrorMoneyTaken: '40004 ACQ.SYSTEM_ERROR, but the trade is paid (query finds TRADE_SUCCESS)',
  noAnswerMoneyTaken: 'no answer ever (the connection is held), the trade is paid',
  noAnswerNothingTaken: 'no answer ever, and no trade recorded (query finds ACQ.TRADE_NOT_EXIST)',
};

/** The magic codes as the admin API and docs list them (serial 0). */
export const alipayMagicCodeTable: readonly QrMagicCode[] = Object.freeze(
  (Object.keys(alipayMagicSuffixes) as AlipayMagicOutcome[]).map((outcome) => ({ code: alipayMagicAuthCode(outcome), outcome: outcomeText[outcome] })),
);

function failure(code: string, msg: string, subCode: string, subMsg: string): Record<string, unknown> {
  return { code, msg, sub_code: subCode, sub_msg: subMsg };
}

function stringField(content: Record<string, unknown>, name: string): string {
  const value = content[name];
  return typeof value === 'string' ? value : '';
}
