// Reversals of attempts that went upstream while their outcome could not be written (the store refused
// the write): held in memory, bounded, and written in the background with capped backoff as soon as the
// store takes writes again; the reversal worker then sends them. What is still held at shutdown is found
// by the next start's recovery (the attempts were stored `pending` before they were sent).
import type { AttemptRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import type { PaymentView } from '../../core/payments/payment-view.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import { errorText } from './error-text.ts';
import { writeDurably } from './durable-write.ts';
import type { SaleServices } from './sale-services.ts';

/** An attempt that went upstream while its outcome could not be written: its reversal waits here until the store takes it. */
export interface HeldReversal {
  attempt: AttemptRecord;
  payment: PaymentRecord;
  idempotency: { scope: string; key: string };
  /** The WAIT answer the client got, stored as the key's answer once the store is back. */
  answer: PaymentView;
  heldAtMs: number;
}

/** Counters of store failures after a send, for /metrics. */
export interface EngineRecoveryStats {
  /** Sales whose outcome write failed after their request went upstream (answered 98 WAIT). */
  storeFailuresAfterSend: number;
  /** Reversals held in memory because the store refused them; written as soon as it accepts writes. */
  reversalsHeld: number;
}

/** Most reversals held in memory while the store is down; beyond it the restart recovery is the safety net. */
export const heldReversalsMax = 10_000;
/** First and longest wait between two tries to write the held reversals. */
const heldRetryMs = 250;
const heldRetryMsMax = 5_000;

export class HeldReversals {
  readonly #deps: SaleServices;
  readonly #isClosing: () => boolean;
  /** By attempt id, bounded by heldReversalsMax. */
  readonly #held = new Map<string, HeldReversal>();
  #flush: Promise<void> | null = null;
  #storeFailuresAfterSend = 0;

  constructor(deps: SaleServices, isClosing: () => boolean) {
    this.#deps = deps;
    this.#isClosing = isClosing;
  }

  get size(): number {
    return this.#held.size;
  }

  stats(): EngineRecoveryStats {
    return { storeFailuresAfterSend: this.#storeFailuresAfterSend, reversalsHeld: this.#held.size };
  }

  /** Counts a sale whose outcome write failed after its request went upstream. */
  countStoreFailureAfterSend(): void {
    this.#storeFailuresAfterSend += 1;
  }

  /** Holds a reversal and starts writing it in the background; false when the bound is reached (recovery then finds the attempt). */
  hold(held: HeldReversal): boolean {
    if (this.#held.size >= heldReversalsMax) return false;
    this.#held.set(held.attempt.id, held);
    this.#startFlush();
    return true;
  }

  /** One pass over the held reversals: each written in its own unit; those the store refuses stay held. */
  async writeAll(): Promise<void> {
    const { logger, clock } = this.#deps;
    let written = 0;
    for (const [attemptId, held] of [...this.#held]) {
      try {
        await writeDurably(this.#deps.store, (tx) => this.#writeOne(tx, held));
        this.#held.delete(attemptId);
        written += 1;
        logger.warn({ paymentId: held.payment.id, attemptSeq: held.attempt.seq, heldMs: clock.nowMs() - held.heldAtMs }, 'held reversal written after the store came back');
      } catch (error) {
        logger.error({ paymentId: held.payment.id, error: errorText(error), reversalsHeld: this.#held.size }, 'store still refuses writes; reversal stays held in memory');
        break;
      }
    }
    if (written > 0) this.#deps.reversalWorker.kick();
  }

  /** Writes the held reversals in the background, with capped backoff, until none is left. */
  #startFlush(): void {
    if (this.#flush !== null) return;
    this.#flush = (async () => {
      let waitMs = heldRetryMs;
      while (this.#held.size > 0 && !this.#isClosing()) {
        await this.writeAll();
        if (this.#held.size === 0) break;
        await this.#deps.sleep(waitMs);
        waitMs = Math.min(heldRetryMsMax, waitMs * 2);
      }
    })().finally(() => {
      this.#flush = null;
    });
  }

  /** The held-reversal unit: the attempt's reversal and the key's stored answer (the WAIT the client got). */
  async #writeOne(tx: StoreTx, held: HeldReversal): Promise<void> {
    const nowMs = this.#deps.clock.nowMs();
    const payment = await tx.getPayment(held.payment.id);
    const stored = (await tx.listAttempts(held.payment.id)).find((candidate) => candidate.id === held.attempt.id);
    if (payment === null || stored === undefined) throw new Error(`broken invariant: held reversal of ${held.attempt.id} names a payment or attempt the store does not have`);
    // The failed write may still have committed (a lost COMMIT reply): then the stored outcome counts. A
    // decline moved no money; an approval the client was not told of is reversed like an unknown outcome.
    if (stored.outcome === 'pending' || stored.outcome === 'unknown' || stored.outcome === 'approved') {
      const attempt: AttemptRecord = stored.outcome === 'pending' ? { ...stored, outcome: 'unknown', sentAtMs: held.attempt.sentAtMs, completedAtMs: held.attempt.completedAtMs ?? nowMs } : stored;
      if (stored.outcome === 'pending') await tx.updateAttempt(attempt);
      await this.#deps.enqueueReversal(tx, { attempt, payment, reasonCode: stored.outcome === 'approved' ? '96' : '98', nowMs, newStan: await tx.nextStan(attempt.channel), transmittedAt: transmissionDateTime(nowMs) });
      await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { seq: attempt.seq, channel: attempt.channel, stan: attempt.stan, by: 'store_failure' }, atMs: nowMs });
    }
    // An approved payment stays approved until its reversal settles (settle-reversal.ts then reverses it and its fee).
    // A resend of the sale replays what the client was told: WAIT, never an approval being reversed.
    await tx.updateIdempotency(held.idempotency.scope, held.idempotency.key, { paymentId: payment.id, state: 'done', responseStatus: 201, responseBody: JSON.stringify(held.answer), updatedAtMs: nowMs });
  }
}
