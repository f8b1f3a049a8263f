// Sales waiting for the settlement of a reversal (a retry after an unknown outcome waits for the
// confirmation that no money moved). The reversal worker's onSettled wakes them after its commit.
import type { ReversalSettlement } from '../reversals/reversal-worker.ts';

export type Settled = { result: 'reversed' | 'dead' };

export class SettlementWaiters {
  readonly #waiters = new Map<string, (settled: Settled) => void>();

  /** Resolves when the reversal of `attemptId` settles in this process; call stop() when done waiting. */
  listen(attemptId: string): Promise<Settled> {
    return new Promise<Settled>((resolve) => this.#waiters.set(attemptId, resolve));
  }

  stop(attemptId: string): void {
    this.#waiters.delete(attemptId);
  }

  notify(settled: ReversalSettlement): void {
    const waiter = this.#waiters.get(settled.attempt.id);
    if (waiter !== undefined) waiter({ result: settled.result });
  }
}
