// A scripted QrChannelPort for the engine's tests: each call takes the next scripted answer for its
// kind (pay, query, cancel, refund, refundQuery), and the fake keeps its own book of trades so tests
// can check money against it (paid and not cancelled = charged). Unscripted calls answer from the book.
import type {
  QrCallResult,
  QrCancelResult,
  QrChannelPort,
  QrMethod,
  QrPayRequest,
  QrProtocol,
  QrRefundRequest,
  QrRefundResult,
  QrTradeState,
} from '../../src/core/ports/qr-channel.ts';
import type { Clock } from '../../src/core/time/clock.ts';

type Scripted<T> = T | ((trade: FakeTrade | undefined) => T);

export interface FakeTrade {
  outTradeNo: string;
  amountMinor: number;
  state: QrTradeState;
  refundedMinor: number;
  refunds: Map<string, number>;
  pays: number;
}

const facts = (tradeNo: string | null, amountMinor: number | null) => ({ providerTradeNo: tradeNo, paidAmountMinor: amountMinor, paidAtMs: null, buyerLabel: null, fundSource: null });

export function tradeAnswer(state: QrTradeState, providerCode: string | null = null, tradeNo: string | null = null): QrCallResult {
  return { kind: 'answer', state, providerCode, providerMessage: null, facts: facts(tradeNo, null), sentAtMs: 0, latencyMs: 5 };
}
export const noAnswer: QrCallResult & QrCancelResult & QrRefundResult = { kind: 'no_answer', reason: 'timeout', detail: 'scripted timeout', sentAtMs: 0 };
export const notSent: QrCallResult & QrCancelResult & QrRefundResult = { kind: 'not_sent', reason: 'no_connection', detail: 'scripted refusal' };
export function cancelAnswer(cancelled: boolean, callAgain = false): QrCancelResult {
  return { kind: 'answer', cancelled, callAgain, action: cancelled ? 'close' : null, providerCode: null, providerMessage: null, sentAtMs: 0, latencyMs: 5 };
}

export class FakeQrChannel implements QrChannelPort {
  readonly name: string;
  readonly protocol: QrProtocol;
  readonly method: Exclude<QrMethod, 'unionpay-qr'>;
  readonly book = new Map<string, FakeTrade>();
  readonly calls: { kind: string; outTradeNo: string; authCode?: string }[] = [];
  readonly #scripts = { pay: [] as Scripted<QrCallResult>[], query: [] as Scripted<QrCallResult>[], cancel: [] as Scripted<QrCancelResult>[], refund: [] as Scripted<QrRefundResult>[], refundQuery: [] as Scripted<QrRefundResult>[] };
  /** Applied to every call before its answer: a test's clock moves as a provider's latency would. */
  onCall: (() => void) | undefined;
  /** The next pay reaches the provider (the book records it as `hangState`) and its answer never comes back: the calling process "crashes" there. */
  hangNextPay: { hangState: QrTradeState } | null = null;

  constructor(options: { name: string; method: 'wechat' | 'alipay'; clock?: Clock }) {
    this.name = options.name;
    this.method = options.method;
    this.protocol = options.method === 'wechat' ? 'wechatpay-v2' : 'alipay';
  }

  script(kind: 'pay' | 'query', ...answers: Scripted<QrCallResult>[]): this;
  script(kind: 'cancel', ...answers: Scripted<QrCancelResult>[]): this;
  script(kind: 'refund' | 'refundQuery', ...answers: Scripted<QrRefundResult>[]): this;
  script(kind: keyof FakeQrChannel['scriptsView'], ...answers: Scripted<never>[]): this {
    (this.#scripts[kind] as unknown[]).push(...answers);
    return this;
  }

  get scriptsView() {
    return this.#scripts;
  }

  /** Charged in the book: paid (or partly refunded) and not cancelled. */
  chargedMinor(outTradeNo: string): number {
    const trade = this.book.get(outTradeNo);
    if (trade === undefined || (trade.state !== 'paid' && trade.state !== 'refunded')) return 0;
    return trade.amountMinor - trade.refundedMinor;
  }

  #next<T>(kind: keyof FakeQrChannel['scriptsView'], trade: FakeTrade | undefined): T | undefined {
    this.onCall?.();
    const scripted = this.#scripts[kind].shift() as Scripted<T> | undefined;
    if (scripted === undefined) return undefined;
    return typeof scripted === 'function' ? (scripted as (t: FakeTrade | undefined) => T)(trade) : scripted;
  }

  async pay(request: QrPayRequest): Promise<QrCallResult> {
    this.calls.push({ kind: 'pay', outTradeNo: request.outTradeNo, authCode: request.authCode });
    let trade = this.book.get(request.outTradeNo);
    if (this.hangNextPay !== null) {
      this.book.set(request.outTradeNo, { outTradeNo: request.outTradeNo, amountMinor: request.amountMinor, state: this.hangNextPay.hangState, refundedMinor: 0, refunds: new Map(), pays: 1 });
      this.hangNextPay = null;
      return new Promise<QrCallResult>(() => {});
    }
    const answer = this.#next<QrCallResult>('pay', trade) ?? tradeAnswer('paid', null, `T${request.outTradeNo}`);
    if (answer.kind === 'not_sent') return answer;
    if (trade === undefined) {
      trade = { outTradeNo: request.outTradeNo, amountMinor: request.amountMinor, state: 'paying', refundedMinor: 0, refunds: new Map(), pays: 0 };
      this.book.set(request.outTradeNo, trade);
    }
    trade.pays += 1;
    // The book follows what the provider said; a no-answer leaves the trade as the script's `then` says (paying by default).
    if (answer.kind === 'answer' && answer.state !== 'unknown' && answer.state !== 'not_found') trade.state = answer.state;
    return answer;
  }

  async query(outTradeNo: string): Promise<QrCallResult> {
    this.calls.push({ kind: 'query', outTradeNo });
    const trade = this.book.get(outTradeNo);
    const answer = this.#next<QrCallResult>('query', trade) ?? (trade === undefined ? tradeAnswer('not_found', 'ORDERNOTEXIST') : tradeAnswer(trade.state, null, `T${outTradeNo}`));
    if (trade !== undefined && answer.kind === 'answer' && answer.state !== 'unknown' && answer.state !== 'not_found') trade.state = answer.state;
    return answer;
  }

  async cancel(outTradeNo: string): Promise<QrCancelResult> {
    this.calls.push({ kind: 'cancel', outTradeNo });
    const trade = this.book.get(outTradeNo);
    const answer = this.#next<QrCancelResult>('cancel', trade) ?? cancelAnswer(true);
    if (answer.kind === 'answer' && answer.cancelled && trade !== undefined) trade.state = 'closed';
    if (answer.kind === 'answer' && answer.cancelled && trade === undefined) {
      // A cancel of a trade that never arrived closes the number: a late pay can no longer succeed.
      this.book.set(outTradeNo, { outTradeNo, amountMinor: 0, state: 'closed', refundedMinor: 0, refunds: new Map(), pays: 0 });
    }
    return answer;
  }

  async refund(request: QrRefundRequest): Promise<QrRefundResult> {
    this.calls.push({ kind: 'refund', outTradeNo: request.outTradeNo });
    const trade = this.book.get(request.outTradeNo);
    const scripted = this.#next<QrRefundResult>('refund', trade);
    if (scripted !== undefined && scripted.kind === 'not_sent') return scripted;
    if (trade !== undefined && !trade.refunds.has(request.outRefundNo) && (scripted === undefined || scripted.kind !== 'answer' || scripted.state !== 'failed')) {
      if (trade.refundedMinor + request.refundMinor > trade.amountMinor) return { kind: 'answer', state: 'failed', providerCode: 'REFUND_FEE_INVALID', providerMessage: null, providerRefundNo: null, refundedMinor: null, sentAtMs: 0, latencyMs: 5 };
      // The same out_refund_no twice refunds once: the provider's own idempotency.
      trade.refunds.set(request.outRefundNo, request.refundMinor);
      trade.refundedMinor += request.refundMinor;
      trade.state = 'refunded';
    }
    return scripted ?? { kind: 'answer', state: 'refunded', providerCode: null, providerMessage: null, providerRefundNo: `R${request.outRefundNo}`, refundedMinor: request.refundMinor, sentAtMs: 0, latencyMs: 5 };
  }

  async refundQuery(outTradeNo: string, outRefundNo: string): Promise<QrRefundResult> {
    this.calls.push({ kind: 'refundQuery', outTradeNo });
    const trade = this.book.get(outTradeNo);
    const scripted = this.#next<QrRefundResult>('refundQuery', trade);
    if (scripted !== undefined) return scripted;
    const refunded = trade?.refunds.get(outRefundNo);
    return refunded === undefined
      ? { kind: 'answer', state: 'not_found', providerCode: 'REFUNDNOTEXIST', providerMessage: null, providerRefundNo: null, refundedMinor: null, sentAtMs: 0, latencyMs: 5 }
      : { kind: 'answer', state: 'refunded', providerCode: null, providerMessage: null, providerRefundNo: `R${outRefundNo}`, refundedMinor: refunded, sentAtMs: 0, latencyMs: 5 };
  }

  async close(): Promise<void> {}
}
