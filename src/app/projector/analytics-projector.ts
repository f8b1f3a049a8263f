// The analytics projector (docs/analytics.md): keeps the hourly rollup (migration 0020) equal to the
// sum of every sale's current contribution, OFF the sale's path. It follows the same payment journal as
// the payment projector (docs/projector.md) under its own checkpoint, so the rollup can be rebuilt from
// the journal's start (`reswipe analytics rebuild`) without writing fee lines or events again.
//
// Per batch: the journal entries, their attempts and the payments of the same card, amount and terminal
// around them are read outside the unit (a few statements per batch, not per payment); then in ONE
// unit each payment's previous contribution is taken back and its new one added, failures an approval
// rescued stop counting as lost, and the checkpoint moves. A crash repeats the batch; a repeat
// computes the same contributions, so the deltas are zero and nothing is counted twice.
import type { PaymentRecord, Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import type { AttemptRecord } from '../../core/ports/store.ts';
import {
  contributionOf,
  isFailedOutcome,
  isRolledUp,
  rescueWindowMsDefault,
  rescuedContribution,
  rescues,
  rolledUpKinds,
  RollupDelta,
  type RollupContribution,
} from '../../core/analytics/rollup.ts';
import type { PaymentKind } from '../../core/ports/store.ts';
import type { RescuePeer } from '../../core/ports/analytics-store.ts';
import type { SharedJournalReads } from './shared-journal-reads.ts';
import { drainTimeIsUp, writeOptionsOf, type DrainOptions } from './payment-projector.ts';

export const analyticsProjectorName = 'analytics';

/** Payments of the same cards read per batch, at most (a card with more in the window is judged on these). */
const rescuePeersMax = 20_000;

export interface AnalyticsProjectorDeps {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  /** Journal entries per unit (default 256). */
  batchMax?: number;
  /** The business time zone (config fees.settlementTimeZone): the daily level's days are its days. */
  timeZone: string;
  /** How long after a failure an approval of the same card, amount and terminal rescues it (default 10 min). */
  rescueWindowMs?: number;
  /** The journal reads shared with the payment projector (default: its own reads of the store). */
  journal?: SharedJournalReads;
  /** Write each batch ahead of the units waiting for the store (default true), as the payment projector does (writeOptionsOf). */
  writeAhead?: boolean;
}

export class AnalyticsProjector {
  readonly #deps: AnalyticsProjectorDeps;
  readonly #batchMax: number;
  readonly #windowMs: number;

  constructor(deps: AnalyticsProjectorDeps) {
    this.#deps = deps;
    this.#batchMax = deps.batchMax ?? 256;
    this.#windowMs = deps.rescueWindowMs ?? rescueWindowMsDefault;
  }

  /** Journal entries not yet rolled up. */
  async lagEntries(): Promise<number> {
    const [checkpoint, head] = await Promise.all([this.#deps.store.getProjectorCheckpoint(analyticsProjectorName), this.#deps.store.paymentJournalHead()]);
    return Math.max(0, head.seq - checkpoint);
  }

  /** Projects until the journal is drained, or until `untilMs` as the payment projector's drain(); returns the entries projected. */
  async drain(options: DrainOptions = {}): Promise<number> {
    let total = 0;
    for (;;) {
      const projected = await this.#projectBatch();
      total += projected;
      if (projected === 0 || drainTimeIsUp(this.#deps.clock, options)) return total;
    }
  }

  /** Empties the rollup and rewinds the checkpoint to the journal's start; a drain() then rebuilds it. */
  async reset(): Promise<void> {
    await this.#deps.store.write(async (tx) => {
      await tx.clearRollup();
      await tx.setProjectorCheckpoint(analyticsProjectorName, 0, this.#deps.clock.nowMs());
    });
  }

  async #projectBatch(): Promise<number> {
    const { store, clock } = this.#deps;
    const checkpoint = await store.getProjectorCheckpoint(analyticsProjectorName);
    const entries = this.#deps.journal === undefined ? await store.listPaymentJournal(checkpoint, this.#batchMax) : await this.#deps.journal.read(analyticsProjectorName, checkpoint, this.#batchMax);
    if (entries.length === 0) return 0;
    const last = entries[entries.length - 1]?.seq ?? checkpoint;
    const payments = entries.map((entry) => entry.payment).filter(isRolledUp);
    const attemptsByPayment = groupAttempts(await store.listAttemptsOfPayments(payments.map((payment) => payment.id)));
    const peers = await this.#rescuePeers(payments);
    await store.write(async (tx) => {
      // Another node may have moved the checkpoint meanwhile: then this batch is theirs (and done).
      if ((await tx.getProjectorCheckpoint(analyticsProjectorName)) !== checkpoint) return;
      const previous = await tx.getRollupContributions(payments.map((payment) => payment.id));
      const next = new Map<string, RollupContribution>();
      const delta = new RollupDelta();
      for (const payment of payments) {
        const rescued = isFailedOutcome(payment.status) && peers.some((peer) => rescues(peer, payment, this.#windowMs));
        const contribution = contributionOf(payment, attemptsByPayment.get(payment.id) ?? [], rescued, this.#deps.timeZone);
        delta.replace(previous.get(payment.id) ?? null, contribution);
        next.set(payment.id, contribution);
      }
      // Failures of earlier batches that an approval of this one rescues: no longer lost.
      const inBatch = new Set(payments.map((payment) => payment.id));
      const rescuedEarlier = peers.filter((peer) => !inBatch.has(peer.id) && payments.some((payment) => rescues(payment, peer, this.#windowMs))).map((peer) => peer.id);
      for (const [id, contribution] of await tx.getRollupContributions(rescuedEarlier.slice(0, 1000))) {
        const after = rescuedContribution(contribution);
        if (after === contribution) continue;
        delta.replace(contribution, after);
        next.set(id, after);
      }
      await tx.addRollupDeltas(delta.rows());
      await tx.putRollupContributions([...next].map(([paymentId, contribution]) => ({ paymentId, contribution })), clock.nowMs());
      await tx.setProjectorCheckpoint(analyticsProjectorName, last, clock.nowMs());
    }, writeOptionsOf(this.#deps.writeAhead));
    return entries.length;
  }

  /** Purchases of the same card, amount and terminal as a failure or approval of the batch, within the window around it. */
  async #rescuePeers(payments: readonly PaymentRecord[]): Promise<RescuePeer[]> {
    const candidates = payments.filter((payment) => payment.status === 'approved' || isFailedOutcome(payment.status));
    if (candidates.length === 0) return [];
    const cards = new Map<string, { panFingerprint: string; amountMinor: number; terminalId: string | null }>();
    for (const payment of candidates) cards.set(`${payment.panFingerprint}|${payment.amountMinor}|${payment.terminalId ?? ''}`, { panFingerprint: payment.panFingerprint, amountMinor: payment.amountMinor, terminalId: payment.terminalId });
    const fromMs = Math.min(...candidates.map((payment) => payment.createdAtMs)) - this.#windowMs;
    const toMs = Math.max(...candidates.map((payment) => payment.createdAtMs)) + this.#windowMs;
    const peers = await this.#deps.store.findRescuePeers([...cards.values()], fromMs, toMs, rescuePeersMax);
    return peers.filter((peer) => rolledUpKinds.has(peer.kind as PaymentKind));
  }
}

function groupAttempts(attempts: readonly AttemptRecord[]): Map<string, AttemptRecord[]> {
  const byPayment = new Map<string, AttemptRecord[]>();
  for (const attempt of attempts) {
    const list = byPayment.get(attempt.paymentId);
    if (list === undefined) byPayment.set(attempt.paymentId, [attempt]);
    else list.push(attempt);
  }
  return byPayment;
}
