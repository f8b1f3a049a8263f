// The statement use cases bound to the store, as the HTTP adapter sees them
// (src/core/ports/statement-use-cases.ts); built by the composition root.
import type { StatementUseCases } from '../../core/ports/statement-use-cases.ts';
import type { StoreReader } from '../../core/ports/store.ts';
import { exportStatement } from '../fees/settle-day.ts';
import { exportStatementZh } from './export-statement-zh.ts';
import { loadMonthlyStatement } from './monthly-merchant-statement.ts';

export function createStatementUseCases(reader: StoreReader): StatementUseCases {
  return {
    monthly: (merchantId, month, timeZone, nowMs) => loadMonthlyStatement(reader, merchantId, month, timeZone, nowMs),
    exportDay: (merchantId, businessDate, layout, day) => (layout === 'zh' ? exportStatementZh(reader, merchantId, businessDate, day) : exportStatement(reader, merchantId, businessDate, day)),
  };
}
