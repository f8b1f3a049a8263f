// What the use cases need of a QR-code provider (付款码, merchant scans the customer's code): WeChat Pay
// API v2 and Alipay OpenAPI speak HTTP(S) with signed bodies; their adapters live in
// src/adapters/qr-channels/ and implement QrChannelPort. UnionPay QR is not here: it travels on the
// acquirer's ISO 8583 host link like a card sale (ChannelPort in channel.ts).
//
// Every call answers in one of three ways, like a card channel's send:
// - `answer`: the provider answered with a verified signature; `state` says where the trade stands;
// - `not_sent`: provably never left this process (no connection could be opened, encoding failed):
//   safe to try again;
// - `no_answer`: the request may have reached the provider and no usable answer came back (timeout,
//   connection lost, a body that does not parse, a signature that does not verify): UNKNOWN, money
//   may have moved; the payment is queried, then cancelled, never paid a second time.

/** The QR methods a merchant can accept. */
export const qrMethods = ['wechat', 'alipay', 'unionpay-qr'] as const;
export type QrMethod = (typeof qrMethods)[number];

/** The HTTP providers' protocols (UnionPay QR rides the card host link instead). */
export const qrProtocols = ['wechatpay-v2', 'alipay'] as const;
export type QrProtocol = (typeof qrProtocols)[number];

/**
 * Where a trade stands at the provider:
 * - `paid`: the money moved to the merchant;
 * - `paying`: the customer has not confirmed yet (WeChat USERPAYING, Alipay WAIT_BUYER_PAY / 10003);
 *   query again with backoff;
 * - `failed`: a definite refusal, nothing charged (balance too low, code expired, ...);
 * - `closed`: the trade was closed or cancelled (by the user or by a cancel/reverse), nothing charged;
 * - `refunded`: paid, then refunded in full or in part (the trade itself was paid);
 * - `not_found`: the provider knows no trade with this out_trade_no (a pay that never arrived);
 * - `unknown`: the provider answered with a system error (SYSTEMERROR, BANKERROR, ACQ.SYSTEM_ERROR):
 *   treat like no answer.
 */
export type QrTradeState = 'paid' | 'paying' | 'failed' | 'closed' | 'refunded' | 'not_found' | 'unknown';

export interface QrPayRequest {
  /** Our payment id, sent as out_trade_no: unique per payment, the key for query and cancel. */
  outTradeNo: string;
  /** The customer's scanned code (付款码). Secret while valid: never logged or stored in full. */
  authCode: string;
  amountMinor: number;
  /** ISO 4217 alphabetic currency code ('CNY'). */
  currency: string;
  /** Shown to the customer in the wallet (body / subject). */
  description: string;
  merchantId: string;
  terminalId: string | null;
  /** The terminal's or the till's IP, when known (WeChat spbill_create_ip). */
  clientIp?: string;
}

/** Facts the provider gave about a trade; every field may be absent on failures. */
export interface QrTradeFacts {
  /** The provider's trade number (WeChat transaction_id, Alipay trade_no). */
  providerTradeNo: string | null;
  /** Amount the provider says was paid, in minor units (fen). */
  paidAmountMinor: number | null;
  /** The provider's time of payment, as epoch milliseconds, when it gave one. */
  paidAtMs: number | null;
  /** Masked buyer identity for the receipt (Alipay buyer_logon_id, WeChat openid is not shown). */
  buyerLabel: string | null;
  /** Paying bank or wallet (WeChat bank_type, Alipay fund_bill_list[0].fund_channel). */
  fundSource: string | null;
}

export type QrCallResult =
  | {
      kind: 'answer';
      state: QrTradeState;
      /** The provider's own error code when it gave one (WeChat err_code, Alipay sub_code), else null. */
      providerCode: string | null;
      /** The provider's message text (err_code_des / sub_msg), for logs; may be Chinese. */
      providerMessage: string | null;
      facts: QrTradeFacts;
      sentAtMs: number;
      latencyMs: number;
    }
  | { kind: 'not_sent'; reason: 'no_connection' | 'encode_failed' | 'closed'; detail: string }
  | { kind: 'no_answer'; reason: 'timeout' | 'connection_lost' | 'malformed_answer' | 'bad_signature'; detail: string; sentAtMs: number };

/** The answer to a cancel (WeChat secapi/pay/reverse, Alipay alipay.trade.cancel). */
export type QrCancelResult =
  | {
      kind: 'answer';
      /** True when the provider confirms the trade is cancelled (or was never paid) and nothing is charged. */
      cancelled: boolean;
      /** True when the provider asks to call cancel again (WeChat recall=Y, Alipay retry_flag=Y). */
      callAgain: boolean;
      /** What the cancel did when the provider says (Alipay action: close | refund). */
      action: 'close' | 'refund' | null;
      providerCode: string | null;
      providerMessage: string | null;
      sentAtMs: number;
      latencyMs: number;
    }
  | { kind: 'not_sent'; reason: 'no_connection' | 'encode_failed' | 'closed'; detail: string }
  | { kind: 'no_answer'; reason: 'timeout' | 'connection_lost' | 'malformed_answer' | 'bad_signature'; detail: string; sentAtMs: number };

export interface QrRefundRequest {
  outTradeNo: string;
  /** Our refund payment id, sent as out_refund_no / out_request_no: the same id repeats safely. */
  outRefundNo: string;
  refundMinor: number;
  /** The original trade's total (WeChat total_fee is required on refund). */
  totalMinor: number;
  currency: string;
  reason: string | null;
}

/** Where a refund stands: `refunded` done, `processing` accepted and not yet final, `failed` refused. */
export type QrRefundState = 'refunded' | 'processing' | 'failed' | 'not_found' | 'unknown';

export type QrRefundResult =
  | {
      kind: 'answer';
      state: QrRefundState;
      providerCode: string | null;
      providerMessage: string | null;
      /** The provider's refund id (WeChat refund_id), when given. */
      providerRefundNo: string | null;
      refundedMinor: number | null;
      sentAtMs: number;
      latencyMs: number;
    }
  | { kind: 'not_sent'; reason: 'no_connection' | 'encode_failed' | 'closed'; detail: string }
  | { kind: 'no_answer'; reason: 'timeout' | 'connection_lost' | 'malformed_answer' | 'bad_signature'; detail: string; sentAtMs: number };

/** One POST of a signed body to a provider (the adapters' wire; qr-http-post.ts sends it over node:http). */
export interface QrHttpRequest {
  readonly url: URL;
  readonly body: string;
  readonly contentType: string;
  readonly timeoutMs: number;
  readonly answerBytesMax: number;
}

/** What came back of one POST, in the port's three ways: a body (HTTP 200 only), never sent, or no usable answer. */
export type QrHttpResult =
  | { kind: 'answer'; status: number; body: string }
  | { kind: 'not_sent'; reason: 'no_connection'; detail: string }
  | { kind: 'no_answer'; reason: 'timeout' | 'connection_lost' | 'malformed_answer'; detail: string };

/**
 * How a QR adapter delivers its requests. Production uses a bounded HTTP(S) POST (qr-http-post.ts); the
 * deterministic simulation passes one that hands the bytes to the sandbox's providers on virtual time
 * (test/simulation/sim-qr-providers.ts), so the adapters' signing, parsing and verification run unchanged.
 */
export type QrHttpTransport = (request: QrHttpRequest) => Promise<QrHttpResult>;

/** One QR provider channel (one merchant account at WeChat Pay or Alipay). */
export interface QrChannelPort {
  readonly name: string;
  readonly protocol: QrProtocol;
  /** The method this channel takes payments for. */
  readonly method: Exclude<QrMethod, 'unionpay-qr'>;
  pay(request: QrPayRequest, options: { timeoutMs: number }): Promise<QrCallResult>;
  query(outTradeNo: string, options: { timeoutMs: number }): Promise<QrCallResult>;
  cancel(outTradeNo: string, options: { timeoutMs: number }): Promise<QrCancelResult>;
  refund(request: QrRefundRequest, options: { timeoutMs: number }): Promise<QrRefundResult>;
  refundQuery(outTradeNo: string, outRefundNo: string, options: { timeoutMs: number }): Promise<QrRefundResult>;
  close(): Promise<void>;
}
