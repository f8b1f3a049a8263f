// The fee and settlement use cases bound to the store, as the HTTP adapter sees them
// (src/core/ports/fee-use-cases.ts); built by the composition root.
import type { FeeUseCases } from '../../core/ports/fee-use-cases.ts';
import type { StoreReader } from '../../core/ports/store.ts';
import { compareFeePlans } from './compare-fee-plans.ts';
import { exportStatement } from './settle-day.ts';

export function createFeeUseCases(reader: StoreReader): FeeUseCases {
  return {
    compare: (input) => compareFeePlans(reader, input),
    exportStatement: (merchantId, businessDate, day) => exportStatement(reader, merchantId, businessDate, day),
  };
}
