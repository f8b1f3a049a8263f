// The reconciliation use cases bound to a store and the settlement day, for the HTTP routes
// (ReconciliationUseCases in src/core/ports/reconciliation-use-cases.ts).
import type { ReconciliationUseCases } from '../../core/ports/reconciliation-use-cases.ts';
import { actOnDiscrepancy, type DiscrepancyActionDeps } from './act-on-discrepancy.ts';
import { listDiscrepancies, listRuns, loadDiscrepancy, loadRun } from './load-reconciliation.ts';

export function createReconciliationUseCases(deps: DiscrepancyActionDeps): ReconciliationUseCases {
  return {
    listRuns: (query) => listRuns(deps.store, query),
    loadRun: (runId) => loadRun(deps.store, runId),
    listDiscrepancies: (query) => listDiscrepancies(deps.store, query),
    loadDiscrepancy: (discrepancyId) => loadDiscrepancy(deps.store, discrepancyId),
    act: (input) => actOnDiscrepancy(deps, input),
  };
}
