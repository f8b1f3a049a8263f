// The sale use cases of one gateway process behind one object: it implements SaleUseCases (what the
// terminal link and the HTTP API call) and gives the reversal worker, the channels and the composition
// root their hooks. It holds only what the use cases share (the admission gate, the payments in flight,
// the waiters, the held reversals); each use case is a file of its own in this directory.
import type { IsoMessage } from '../../core/iso8583/index.ts';
import type { PaymentView } from '../../core/payments/payment-view.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import type { UnmatchedReplyInfo } from '../../core/ports/channel.ts';
import type { EngineSettings, SaleRequest, SaleResult, SaleUseCases, TerminalReversalInput } from '../../core/ports/payments.ts';
import type { Page, PaymentQuery, StoreTx } from '../../core/ports/store.ts';
import type { ReversalSettlement } from '../reversals/reversal-worker.ts';
import { AnswerWaiters } from './answer-waiters.ts';
import { authorizeSale, type SaleAdmission } from './authorize-sale.ts';
import { handleLateReply } from './handle-late-reply.ts';
import { HeldReversals, type EngineRecoveryStats } from './held-reversals.ts';
import { viewOfPayment } from './payment-views.ts';
import { recoverPendingPayments, takeOverIfOwnerDead, type RecoveryOptions } from './recover-pending-payments.ts';
import { reverseByTerminal } from './reverse-by-terminal.ts';
import type { SaleDeps } from './sale-deps.ts';
import { resolveSaleServices, type PaymentsOptions } from './sale-services.ts';
import { settleReversalAfterCommit, settleReversalInTx } from './settle-reversal.ts';
import { SettlementWaiters } from './settlement-waiters.ts';
import { TerminalGate } from './terminal-gate.ts';

export type { PaymentsOptions } from './sale-services.ts';
export type { EngineRecoveryStats } from './held-reversals.ts';

export class Payments implements SaleUseCases {
  readonly #deps: SaleDeps;
  readonly #admission: SaleAdmission;
  #closing = false;

  constructor(options: PaymentsOptions) {
    const services = resolveSaleServices(options);
    const isClosing = () => this.#closing;
    this.#deps = {
      ...services,
      active: new Set(),
      // Late bound: the takeover runs the recovery of one payment with these very deps.
      answerWaiters: new AnswerWaiters({ ...services, takeOverIfOwnerDead: (paymentId) => takeOverIfOwnerDead(this.#deps, paymentId) }),
      settlementWaiters: new SettlementWaiters(),
      heldReversals: new HeldReversals(services, isClosing),
    };
    const { settings } = services;
    this.#admission = {
      isClosing,
      gate: new TerminalGate({ inFlightPerKeyMax: settings.inFlightPerTerminalMax, queuePerKeyMax: settings.queuePerTerminalMax, inFlightMax: settings.inFlightMax }),
      running: new Set(),
      keysInFlight: new Set(),
    };
  }

  get settings(): EngineSettings {
    return this.#deps.settings;
  }

  /** Store failures after a send and the reversals still held in memory, for /metrics. */
  recoveryStats(): EngineRecoveryStats {
    return this.#deps.heldReversals.stats();
  }

  authorize(request: SaleRequest): Promise<SaleResult> {
    return authorizeSale(this.#deps, this.#admission, request);
  }

  waitUntilAnswered(scope: string, key: string, untilMs: number): Promise<void> {
    return this.#deps.answerWaiters.waitUntilAnswered(scope, key, untilMs);
  }

  reverseByTerminal(input: TerminalReversalInput): Promise<{ responseCode: string; refusal?: TxnRefusal }> {
    return reverseByTerminal(this.#deps, input);
  }

  async getPayment(id: string, scope: { merchantId?: string } = {}): Promise<PaymentView | null> {
    const payment = await this.#deps.store.getPayment(id);
    if (payment === null) return null;
    if (scope.merchantId !== undefined && payment.merchantId !== scope.merchantId) return null;
    return viewOfPayment(this.#deps.store, payment);
  }

  async listFollowUps(id: string, scope: { merchantId?: string }, limit: number): Promise<PaymentView[] | null> {
    const payment = await this.#deps.store.getPayment(id);
    if (payment === null || (scope.merchantId !== undefined && payment.merchantId !== scope.merchantId)) return null;
    const followUps = (await this.#deps.store.listFollowUps(id)).slice(0, limit);
    const data: PaymentView[] = [];
    for (const followUp of followUps) data.push(await viewOfPayment(this.#deps.store, followUp));
    return data;
  }

  async listPayments(query: PaymentQuery): Promise<Page<PaymentView>> {
    const page = await this.#deps.store.listPayments(query);
    const data: PaymentView[] = [];
    for (const payment of page.data) data.push(await viewOfPayment(this.#deps.store, payment));
    return { data, nextCursor: page.nextCursor };
  }

  /** After a restart (and by the composition root's recovery sweep): every pending payment this process is not driving gets its unknown attempts reversed. */
  recoverAfterRestart(options: RecoveryOptions = {}): Promise<{ payments: number; reversalsQueued: number }> {
    return recoverPendingPayments(this.#deps, options);
  }

  /** For the reversal worker: updates the payment in the same transaction that settles its reversal. */
  onReversalSettledInTx(tx: StoreTx, settled: ReversalSettlement): Promise<void> {
    return settleReversalInTx(this.#deps, tx, settled);
  }

  /** For the reversal worker, after the commit: wakes a sale waiting to retry. */
  onReversalSettled(settled: ReversalSettlement): void {
    settleReversalAfterCommit(this.#deps, settled);
  }

  /** For channels' onUnmatchedReply: a late approval makes sure the reversal is queued. */
  handleUnmatchedReply(channel: string, message: IsoMessage, info: UnmatchedReplyInfo): Promise<void> {
    return handleLateReply(this.#deps, channel, message, info);
  }

  /** Stops taking payments and waits (bounded) for those in flight. */
  async close(): Promise<void> {
    this.#closing = true;
    const inFlight = [...this.#admission.running];
    if (inFlight.length > 0) await Promise.race([Promise.allSettled(inFlight), this.#deps.sleep(this.#deps.settings.closeWaitMs)]);
    // A last try for reversals still held in memory; any left are found by the next start's recovery
    // (their attempts were stored `pending` before they were sent).
    const held = this.#deps.heldReversals;
    if (held.size > 0) await held.writeAll();
    if (held.size > 0) this.#deps.logger.error({ reversalsHeld: held.size }, 'closing with reversals held in memory; recovery at the next start queues them');
  }
}
