// What the reconciliation routes call (docs/reconciliation.md): runs and discrepancies as operators read
// them, and an action on a discrepancy. The app binds them to the store and the settlement day
// (src/app/reconciliation/reconciliation-use-cases.ts); the HTTP adapter imports only this.
import type { DiscrepancyActionRecord, DiscrepancyQuery, DiscrepancyRecord, ReconRunRecord, SettlementAdjustmentRecord, StoreTx } from './store.ts';

export interface DiscrepancyView extends DiscrepancyRecord {
  readonly actions: readonly DiscrepancyActionRecord[];
  readonly adjustment: SettlementAdjustmentRecord | null;
}

export interface RunView extends ReconRunRecord {
  readonly byCategory: Readonly<Record<string, number>>;
  readonly byState: Readonly<Record<string, number>>;
}

export interface ActOnDiscrepancyInput {
  readonly discrepancyId: string;
  readonly actor: string;
  readonly action: 'investigate' | 'note' | 'resolve' | 'write_off';
  readonly note: string;
  /** For `resolve`: the signed adjustment (+ paid to the merchant, - taken back) and, when the discrepancy names none, the merchant. */
  readonly adjustmentMinor?: number | undefined;
  readonly merchantId?: string | undefined;
  /** Runs last inside the action's write (the HTTP routes store the Idempotency-Key answer there). */
  readonly inTx?: ((tx: StoreTx, discrepancy: DiscrepancyRecord) => Promise<void>) | undefined;
}

export interface ReconciliationUseCases {
  listRuns(query: { limit: number; channel?: string; fromDate?: string; toDate?: string }): Promise<ReconRunRecord[]>;
  loadRun(runId: string): Promise<RunView>;
  listDiscrepancies(query: DiscrepancyQuery): Promise<DiscrepancyRecord[]>;
  loadDiscrepancy(discrepancyId: string): Promise<DiscrepancyView>;
  act(input: ActOnDiscrepancyInput): Promise<DiscrepancyRecord>;
}
