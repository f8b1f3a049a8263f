// The QR use cases as one object for the composition root and the adapters (QrSaleUseCases), one
// file per use case beside it: take-qr-payment, query-until-final, cancel-unknown,
// recover-pending-qr-payments, recover-pending-qr-refunds, refund-qr-payment, void-qr-payment.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { FollowUpRequest, FollowUpResult, SaleResult } from '../../core/ports/payments.ts';
import { refuse } from '../../core/payments/txn-rule-result.ts';
import { refundQrPayment } from './refund-qr-payment.ts';
import { voidQrPayment } from './void-qr-payment.ts';
import type { QrSaleRequest, QrSaleUseCases } from '../../core/ports/qr-payments.ts';
import { cancelUnknownTrades } from './cancel-unknown.ts';
import type { LeaseFence } from '../cluster/work-lease.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { recoverPendingQrPayments } from './recover-pending-qr-payments.ts';
import { recoverPendingQrRefunds } from './recover-pending-qr-refunds.ts';
import { recoverPendingQrVoids } from './recover-pending-qr-voids.ts';
import { takeQrPayment } from './take-qr-payment.ts';
import { reverseQrByTerminal } from './reverse-qr-by-terminal.ts';
import type { TerminalReversalInput } from '../../core/ports/payments.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';

export class QrPayments implements QrSaleUseCases {
  readonly #deps: QrPaymentDeps;
  #running = new Set<Promise<unknown>>();
  #closing = false;

  constructor(deps: Omit<QrPaymentDeps, 'active'>) {
    this.#deps = { ...deps, active: new Set() };
  }

  get deps(): QrPaymentDeps {
    return this.#deps;
  }

  /** True when a channel serves the method (the adapters refuse a QR sale of a method none serves before building it). */
  serves(method: string): boolean {
    return this.#deps.channels.some((entry) => !entry.disabled && entry.port.method === method);
  }

  async takeQrPayment(request: QrSaleRequest): Promise<SaleResult> {
    if (this.#closing) throw new ReswipeError('RSW_ENGINE_SHUTTING_DOWN');
    const work = takeQrPayment(this.#deps, request);
    this.#running.add(work);
    try {
      return await work;
    } finally {
      this.#running.delete(work);
    }
  }

  /** A refund or a void of a QR sale (the card rules decide; the provider's refund or cancel moves the money). Other operations on a QR sale are refused. */
  followUp(request: FollowUpRequest): Promise<FollowUpResult> {
    if (this.#closing) throw new ReswipeError('RSW_ENGINE_SHUTTING_DOWN');
    switch (request.operation) {
      case 'refund':
        return refundQrPayment(this.#deps, request);
      case 'void':
        return voidQrPayment(this.#deps, request);
      default:
        return Promise.resolve({ kind: 'refused', refusal: refuse('RSW_TXN_ORIGINAL_WRONG_KIND', { operation: request.operation, expected: 'a pre-authorization', actual: 'a QR sale' }) });
    }
  }

  /** A terminal's 0400 of a QR sale the terminal reversal rules allowed: cancel the trade (never a second pay). */
  reverseByTerminal(payment: PaymentRecord, input: TerminalReversalInput): Promise<{ responseCode: string; refusal?: TxnRefusal }> {
    return reverseQrByTerminal(this.#deps, payment, input);
  }

  /** At start and by the recovery sweep: pending QR sales nobody drives are queried, then declined or queued for a cancel; pending refunds are sent again (same out_refund_no), pending voids cancel again; due cancels run. */
  async recoverAfterRestart(options: { createdBeforeMs?: number; fence?: LeaseFence | undefined } = {}): Promise<{ payments: number; declined: number; cancelsQueued: number }> {
    // One read of the pending payments serves the three passes: each takes its own kind (sale, refund, void).
    const pending = await this.#deps.store.listPendingPayments(options.createdBeforeMs ?? this.#deps.clock.nowMs(), this.#deps.settings.recoveryBatchMax);
    const recovered = await recoverPendingQrPayments(this.#deps, pending, options);
    await recoverPendingQrRefunds(this.#deps, pending, options);
    await recoverPendingQrVoids(this.#deps, pending, options);
    await this.runFollowUps(options.fence);
    return recovered;
  }

  /** One pass of the follow-up queue (the composition root runs it every few seconds). */
  runFollowUps(fence?: LeaseFence): Promise<{ cancelled: number; again: number; dead: number }> {
    return cancelUnknownTrades(this.#deps, fence);
  }

  /** Stops taking sales and waits (bounded by their budgets) for those in flight. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#running]);
  }
}
