// The fee and settlement use cases bound to the store, as the HTTP adapter sees them
// (src/core/ports/fee-use-cases.ts); built by the composition root.
import type { FeeUseCases } from '../../core/ports/fee-use-cases.ts';
import type { Store } from '../../core/ports/store.ts';
import { compareFeePlans } from './compare-fee-plans.ts';
import type { LiveFeePlans } from './live-fee-plans.ts';
import { putFeePlan } from './put-fee-plan.ts';
import { exportStatement } from './settle-day.ts';

export function createFeeUseCases(store: Store, plans: LiveFeePlans): FeeUseCases {
  return {
    plans: () => plans.current(),
    putPlan: (plan, audit) => putFeePlan({ store, plans }, plan, audit),
    compare: (input) => compareFeePlans(store, input),
    exportStatement: (merchantId, businessDate, day) => exportStatement(store, merchantId, businessDate, day),
  };
}
