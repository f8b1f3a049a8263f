// What each sale use case gets (SaleDeps): the resolved services plus the state the use cases of one
// process share.
import type { AnswerWaiters } from './answer-waiters.ts';
import type { HeldReversals } from './held-reversals.ts';
import type { SaleServices } from './sale-services.ts';
import type { SettlementWaiters } from './settlement-waiters.ts';

export type { PaymentsOptions, SaleServices } from './sale-services.ts';

/** What every sale use case gets: the services and the state shared by the use cases of this process. */
export interface SaleDeps extends SaleServices {
  /** Payments this process is still driving; their status stays `pending` until their sale finishes them. */
  readonly active: Set<string>;
  readonly answerWaiters: AnswerWaiters;
  readonly settlementWaiters: SettlementWaiters;
  readonly heldReversals: HeldReversals;
}
