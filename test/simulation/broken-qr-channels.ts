// Deliberately broken QR channels the auditor must catch (auditor-catches.test.ts), wrapped around the
// real adapters like BlindResendChannel around a card channel (sim-network.ts): one pays an unanswered
// pay AGAIN as a new order, the blind retry the rules forbid (the customer pays twice when the first pay
// went through); one believes a pay that got no answer was paid (the client is told approved while the
// provider may hold no paid trade).
import type { QrCallResult, QrCancelResult, QrChannelPort, QrPayRequest, QrRefundRequest, QrRefundResult } from '../../src/core/ports/qr-channel.ts';

abstract class WrappedQrChannel implements QrChannelPort {
  constructor(protected readonly inner: QrChannelPort) {}
  get name(): string {
    return this.inner.name;
  }
  get protocol(): QrChannelPort['protocol'] {
    return this.inner.protocol;
  }
  get method(): QrChannelPort['method'] {
    return this.inner.method;
  }
  abstract pay(request: QrPayRequest, options: { timeoutMs: number }): Promise<QrCallResult>;
  query(outTradeNo: string, options: { timeoutMs: number }): Promise<QrCallResult> {
    return this.inner.query(outTradeNo, options);
  }
  cancel(outTradeNo: string, options: { timeoutMs: number }): Promise<QrCancelResult> {
    return this.inner.cancel(outTradeNo, options);
  }
  refund(request: QrRefundRequest, options: { timeoutMs: number }): Promise<QrRefundResult> {
    return this.inner.refund(request, options);
  }
  refundQuery(outTradeNo: string, outRefundNo: string, options: { timeoutMs: number }): Promise<QrRefundResult> {
    return this.inner.refundQuery(outTradeNo, outRefundNo, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Pays again, as a new order (a new out_trade_no), when a pay gets no answer. */
export class BlindRepayQrChannel extends WrappedQrChannel {
  async pay(request: QrPayRequest, options: { timeoutMs: number }): Promise<QrCallResult> {
    const first = await this.inner.pay(request, options);
    if (first.kind !== 'no_answer') return first;
    return this.inner.pay({ ...request, outTradeNo: `${request.outTradeNo}R` }, options);
  }
}

/** Reads a pay that got no answer as paid. */
export class TrustingQrChannel extends WrappedQrChannel {
  async pay(request: QrPayRequest, options: { timeoutMs: number }): Promise<QrCallResult> {
    const result = await this.inner.pay(request, options);
    if (result.kind !== 'no_answer') return result;
    return { kind: 'answer', state: 'paid', providerCode: null, providerMessage: null, facts: { providerTradeNo: null, paidAmountMinor: null, paidAtMs: null, buyerLabel: null, fundSource: null }, sentAtMs: result.sentAtMs, latencyMs: 0 };
  }
}
