// What the manual-handling use cases need, wired by `serve` (HTTP routes) and by the CLI alike.
import type { Clock } from '../../core/time/clock.ts';
import type { Store } from '../../core/ports/store.ts';
import type { FeeHooks } from '../../core/ports/payments.ts';
import type { SettlementDay } from './load-manual-handling.ts';

export interface ManualHandlingDeps {
  store: Store;
  clock: Clock;
  /** Records the fee of a payment resolved as charged and removes the fee of one that is no longer approved; the engine's own hooks. */
  fees: FeeHooks;
  /** The business day rule, to find the payment's settlement batch. */
  settlementDay: SettlementDay;
  /** Wakes the reversal worker after a retry (in `serve`); the CLI has none and the worker's next poll picks the row up. */
  kickReversals?: () => void;
}

/** The actor of a command-line action: `cli:<os user>`. */
export function cliActor(userName: string): string {
  return `cli:${userName.length > 0 ? userName : 'unknown'}`;
}
