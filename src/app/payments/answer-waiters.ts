// Callers waiting for the answer of an idempotency key in progress (an ISO resend waits for its
// original, a terminal's reversal for the sale it reverses). A sale of this process wakes them when it
// answers; the store is polled too, for an original handled by another gateway node. An original whose
// node died (its lease expired, docs/cluster.md) is taken over at once: the wait ends there, instead of
// lasting until the deadline for an answer that will never come.
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';

const pollMs = 200;

export interface AnswerWaitersDeps {
  store: Store;
  clock: Clock;
  sleep: (durationMs: number) => Promise<void>;
  /** Takes a pending payment over when its owner node is dead; true when taken (recover-pending-payments.ts). */
  takeOverIfOwnerDead?: (paymentId: string) => Promise<boolean>;
}
const roundsMax = 10_000;

export class AnswerWaiters {
  readonly #waiters = new Map<string, Array<() => void>>();
  readonly #deps: AnswerWaitersDeps;

  constructor(deps: AnswerWaitersDeps) {
    this.#deps = deps;
  }

  /** Waits until the answer for an idempotency key is stored (or `untilMs` passes). */
  async waitUntilAnswered(scope: string, key: string, untilMs: number): Promise<void> {
    for (let round = 0; round < roundsMax; round++) {
      const record = await this.#deps.store.getIdempotency(scope, key);
      if (record === null || record.state === 'done') return;
      if (record.paymentId !== null && this.#deps.takeOverIfOwnerDead !== undefined && (await this.#deps.takeOverIfOwnerDead(record.paymentId))) return;
      const leftMs = untilMs - this.#deps.clock.nowMs();
      if (leftMs <= 0) return;
      const waitKey = waitKeyOf(scope, key);
      await new Promise<void>((resolve) => {
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          resolve();
        };
        const list = this.#waiters.get(waitKey) ?? [];
        list.push(finish);
        this.#waiters.set(waitKey, list);
        // Polling covers an original handled by another gateway node; the waiter covers this one.
        void this.#deps.sleep(Math.min(pollMs, leftMs)).then(finish);
      });
    }
  }

  /** Wakes everyone waiting for (scope, key): its answer is stored. */
  notifyAnswered(scope: string, key: string): void {
    const waitKey = waitKeyOf(scope, key);
    const waiters = this.#waiters.get(waitKey);
    this.#waiters.delete(waitKey);
    for (const wake of waiters ?? []) wake();
  }
}

function waitKeyOf(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}
