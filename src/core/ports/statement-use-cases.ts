// What a merchant's self-service routes call about statements (docs/payouts.md, docs/settlement.md). The use cases live
// in src/app/statements and src/app/fees; the composition root binds them to the store, so the HTTP
// adapter depends on this port only (docs/architecture.md, "Layers").
import type { MonthlyStatement } from '../statements/monthly-statement.ts';
import type { StatementDay } from './fee-use-cases.ts';

/** machine: the settlement CSV (docs/settlement.md); zh: Chinese headers and yuan amounts. */
export type StatementLayout = 'machine' | 'zh';

export interface StatementUseCases {
  /** A merchant's month: batches, fees and payouts, generated at `nowMs`. */
  monthly(merchantId: string, month: string, timeZone: string, nowMs: number): Promise<MonthlyStatement>;
  /** The statement (对账单) CSV of one business date in the given layout. */
  exportDay(merchantId: string, businessDate: string, layout: StatementLayout, day: StatementDay): Promise<string>;
}
