// The payment projector (docs/projector.md): writes what is derived from payments OFF the answer's path.
// It follows the payment journal (every payment write stamps the next journal seq, durable with the
// outcome) from its checkpoint and writes, per batch of journalled payments, set-based (a few statements
// per batch, none per payment):
//   - the `fee` lines of approved sales and completions, multi-row, `ON CONFLICT (id) DO NOTHING` (the
//     line id derives from the payment);
//   - the `payment.completed` events of answered payments (they have a response code) that have none yet:
//     one read finds those that have, one multi-row append writes the others;
//   - the payments' rows of the payment list (the lists' indexes, migration 0027), one upsert.
// What it writes and the new checkpoint commit in ONE unit, so a crash repeats a batch at most, and a
// repeated batch writes nothing twice (fee lines by their key, events by the read). Its lag (journal
// entries and age of the oldest entry not yet projected) feeds /metrics and /readyz.
import { paymentProjectorName, type PaymentRecord, type Store, type StoreTx, type WriteOptions } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import { settlementSignOf } from '../../core/fees/settlement-batch.ts';
import type { SharedJournalReads } from './shared-journal-reads.ts';

export const projectorName = paymentProjectorName;

/**
 * A projector's unit waits for the store ahead of the units already waiting, and so joins the next
 * group-commit batch (docs/projector.md, "Lag"). Queued behind them, as any unit, it got one batch of
 * entries through per trip through the whole queue, and a saturated store's queue holds about one unit
 * per busy terminal: fewer entries than the sales journalled meanwhile, so the lag grew for as long as
 * the overload lasted (2.0-4.5 s in 7 s of bench:auth on 2026-12-06, 5.2 s and growing in 8 s of
 * bench/projector-lag.ts). A projector writes one unit at a time of at most its batch size, so that is
 * a bounded share: at most one unit per batch and projector. Waiting ahead only once the lag passed a
 * threshold let the lag reach that threshold plus a whole trip through the queue (1.0-1.1 s with 250 ms
 * in the same bench) before the share applied; the answers' path waits for no derived data either way.
 */
export function writeOptionsOf(writeAhead: boolean | undefined): WriteOptions | undefined {
  return writeAhead === false ? undefined : { ahead: true };
}

export interface DrainOptions {
  /** Stop after the batch that ends at or past this time (the projector's clock), drained or not. */
  untilMs?: number;
}

/** Whether a drain bounded by `untilMs` has used its time. */
export function drainTimeIsUp(clock: Clock, options: DrainOptions): boolean {
  return options.untilMs !== undefined && clock.nowMs() >= options.untilMs;
}

export interface ProjectorFeeHook {
  /** Writes (idempotently) the fee lines of a batch's approved sales and completions; the engine's fee hooks (writeApprovedBatch). */
  writeApprovedBatch(tx: StoreTx, payments: readonly PaymentRecord[]): Promise<void>;
}

export interface PaymentProjectorDeps {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  fees?: ProjectorFeeHook;
  /** Journal entries per unit (default 256). */
  batchMax?: number;
  /** Pause when caught up (default 50 ms); a kick() wakes it at once. */
  idleMs?: number;
  /** The journal reads shared with the analytics projector (default: its own reads of the store). */
  journal?: SharedJournalReads;
  /**
   * Write each batch ahead of the units waiting for the store (default true; docs/projector.md, "Lag"):
   * false queues it behind them like a sale's unit, as before 2026-12-06 (bench/projector-lag.ts compares).
   */
  writeAhead?: boolean;
}

export interface ProjectorLag {
  /** Journal entries not projected yet. */
  entries: number;
  /** Age of the oldest entry not projected yet, in ms (0 when caught up). */
  ageMs: number;
  checkpoint: number;
  head: number;
}

/** Fields of `payment.completed`, as the engine wrote them inline before the projector. */
export function completedEventPayload(payment: PaymentRecord): Record<string, unknown> {
  const approved = payment.status === 'approved';
  return {
    status: payment.status,
    code: approved ? '00' : (payment.decline?.code ?? payment.responseCode),
    category: approved ? 'approved' : (payment.decline?.category ?? null),
    verdict: approved ? 'none' : (payment.decline?.verdict ?? null),
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    merchantId: payment.merchantId,
    terminalId: payment.terminalId,
    by: 'projector',
  };
}

export class PaymentProjector {
  readonly #deps: PaymentProjectorDeps;
  readonly #batchMax: number;
  readonly #idleMs: number;
  readonly #writeOptions: WriteOptions | undefined;
  #running: Promise<void> | null = null;
  #stopping = false;
  #wake: (() => void) | null = null;
  #checkpoint = 0;
  #projected = 0;
  #lastError: string | null = null;

  constructor(deps: PaymentProjectorDeps) {
    this.#deps = deps;
    this.#batchMax = deps.batchMax ?? 256;
    this.#idleMs = deps.idleMs ?? 50;
    this.#writeOptions = writeOptionsOf(deps.writeAhead);
  }

  start(): void {
    if (this.#running !== null) return;
    this.#stopping = false;
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    this.#running = null;
  }

  kick(): void {
    this.#wake?.();
  }

  stats(): { projected: number; checkpoint: number; lastError: string | null } {
    return { projected: this.#projected, checkpoint: this.#checkpoint, lastError: this.#lastError };
  }

  /** Lag from the store: how far the checkpoint is behind the journal's head, and for how long. */
  async lag(): Promise<ProjectorLag> {
    const { store, clock } = this.#deps;
    const [checkpoint, head] = await Promise.all([store.getProjectorCheckpoint(projectorName), store.paymentJournalHead()]);
    if (head.seq <= checkpoint) return { entries: 0, ageMs: 0, checkpoint, head: head.seq };
    const [oldest] = await store.listPaymentJournal(checkpoint, 1);
    const ageMs = oldest === undefined ? 0 : Math.max(0, clock.nowMs() - oldest.payment.updatedAtMs);
    return { entries: head.seq - checkpoint, ageMs, checkpoint, head: head.seq };
  }

  /**
   * Projects until the journal is drained (tests, settlement, shutdown); returns the entries projected.
   * With `untilMs` it stops after the batch that ends at or past that time on its clock, drained or not
   * (shutdown: what is left is projected after the next start, from the checkpoint).
   */
  async drain(options: DrainOptions = {}): Promise<number> {
    let total = 0;
    for (;;) {
      const projected = await this.#projectBatch();
      total += projected;
      if (projected === 0 || drainTimeIsUp(this.#deps.clock, options)) return total;
    }
  }

  async #loop(): Promise<void> {
    let backoffMs = this.#idleMs;
    while (!this.#stopping) {
      let projected = 0;
      try {
        projected = await this.#projectBatch();
        this.#lastError = null;
        backoffMs = this.#idleMs;
      } catch (error) {
        this.#lastError = error instanceof Error ? error.message : 'unknown';
        this.#deps.logger.error({ error: this.#lastError }, 'projector batch failed; retrying');
        backoffMs = Math.min(5_000, backoffMs * 2);
      }
      if (projected === this.#batchMax) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  async #projectBatch(): Promise<number> {
    const { store, clock, fees } = this.#deps;
    const checkpoint = await store.getProjectorCheckpoint(projectorName);
    this.#checkpoint = checkpoint;
    const entries = this.#deps.journal === undefined ? await store.listPaymentJournal(checkpoint, this.#batchMax) : await this.#deps.journal.read(projectorName, checkpoint, this.#batchMax);
    if (entries.length === 0) return 0;
    const last = entries[entries.length - 1]?.seq ?? checkpoint;
    const payments = entries.map((entry) => entry.payment);
    // The entry shows the payment as of its stamp; the row now may be newer (it then has a later entry too).
    const approved = fees === undefined ? [] : payments.filter((payment) => payment.status === 'approved' && settlementSignOf(payment.kind) === 1);
    const answered = payments.filter((payment) => payment.responseCode !== null);
    await store.write(async (tx) => {
      // Another node may have moved the checkpoint meanwhile: then this batch is theirs (and done).
      if ((await tx.getProjectorCheckpoint(projectorName)) !== checkpoint) return;
      if (approved.length > 0) await fees?.writeApprovedBatch(tx, approved);
      // Which answered payments have their event already: one read for the batch, then one multi-row append.
      const completed = await tx.subjectsWithEvent('payment.completed', answered.map((payment) => payment.id));
      const atMs = clock.nowMs();
      await tx.appendEvents(
        answered.filter((payment) => !completed.has(payment.id)).map((payment) => ({ type: 'payment.completed', subjectId: payment.id, payload: completedEventPayload(payment), atMs })),
      );
      await tx.projectPaymentList(checkpoint, last);
      await tx.setProjectorCheckpoint(projectorName, last, atMs);
    }, this.#writeOptions);
    this.#checkpoint = last;
    this.#projected += entries.length;
    return entries.length;
  }
}
