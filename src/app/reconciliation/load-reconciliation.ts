// What operators read about reconciliation (CLI and HTTP alike): runs, discrepancies with their
// actions and adjustment, shaped once here so both show the same thing. Money stays in fen.
import type { DiscrepancyQuery, DiscrepancyRecord, ReconRunRecord, StoreReader } from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { DiscrepancyView, RunView } from '../../core/ports/reconciliation-use-cases.ts';

export type { DiscrepancyView, RunView } from '../../core/ports/reconciliation-use-cases.ts';

/** Bound on the discrepancies a run view counts (a run with more says so through its own total). */
const runDiscrepanciesCounted = 1000;

export async function loadRun(reader: StoreReader, runId: string): Promise<RunView> {
  const run = await reader.getReconRun(runId);
  if (run === null) throw new ReswipeError('RSW_RECON_RUN_NOT_FOUND', { runId, field: 'runId' });
  const byCategory: Record<string, number> = {};
  const byState: Record<string, number> = {};
  const discrepancies = await reader.listDiscrepancies({ limit: runDiscrepanciesCounted, runId });
  for (const d of discrepancies) {
    byCategory[d.category] = (byCategory[d.category] ?? 0) + 1;
    byState[d.state] = (byState[d.state] ?? 0) + 1;
  }
  return { ...run, byCategory, byState };
}

export async function loadDiscrepancy(reader: StoreReader, discrepancyId: string): Promise<DiscrepancyView> {
  const discrepancy = await reader.getDiscrepancy(discrepancyId);
  if (discrepancy === null) throw new ReswipeError('RSW_RECON_DISCREPANCY_NOT_FOUND', { discrepancyId, field: 'discrepancyId' });
  const [actions, adjustments] = await Promise.all([reader.listDiscrepancyActions(discrepancyId), reader.listSettlementAdjustments({ discrepancyId })]);
  return { ...discrepancy, actions, adjustment: adjustments[0] ?? null };
}

export function listRuns(reader: StoreReader, query: { limit: number; channel?: string; fromDate?: string; toDate?: string }): Promise<ReconRunRecord[]> {
  return reader.listReconRuns(query);
}

export function listDiscrepancies(reader: StoreReader, query: DiscrepancyQuery): Promise<DiscrepancyRecord[]> {
  return reader.listDiscrepancies(query);
}
