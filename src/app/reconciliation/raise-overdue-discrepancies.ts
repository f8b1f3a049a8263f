// Use case: raise `recon.discrepancy_overdue` on the event stream, once per discrepancy, for every
// discrepancy still open or under investigation longer than the bound (reconciliation.openBoundMs).
// `serve` runs it on a timer; the stamp `overdueAtMs` (set in the event's write) keeps it to once.
import type { DiscrepancyRecord, Store } from '../../core/ports/store.ts';
import { isDiscrepancyOverdue } from '../../core/reconciliation/discrepancy-queue.ts';
import type { Clock } from '../../core/time/clock.ts';

/** Discrepancies looked at per sweep and state; the next sweep takes the rest. */
export const overdueSweepRowsMax = 500;

export async function raiseOverdueDiscrepancies(deps: { readonly store: Store; readonly clock: Clock }, openBoundMs: number): Promise<number> {
  const nowMs = deps.clock.nowMs();
  let raised = 0;
  for (const state of ['open', 'investigating'] as const) {
    const candidates = await deps.store.listDiscrepancies({ limit: overdueSweepRowsMax, state, createdBeforeMs: nowMs - openBoundMs, notOverdue: true });
    for (const discrepancy of candidates) {
      if (discrepancy.overdueAtMs !== null || !isDiscrepancyOverdue(discrepancy.state, discrepancy.createdAtMs, nowMs, openBoundMs)) continue;
      const stamped: DiscrepancyRecord = { ...discrepancy, overdueAtMs: nowMs };
      const done = await deps.store.write(async (tx) => {
        if (!(await tx.updateDiscrepancy(discrepancy, stamped))) return false;
        await tx.appendEvent({
          type: 'recon.discrepancy_overdue',
          subjectId: discrepancy.id,
          payload: {
            runId: discrepancy.runId,
            channel: discrepancy.channel,
            businessDate: discrepancy.businessDate,
            category: discrepancy.category,
            state: discrepancy.state,
            merchantId: discrepancy.merchantId,
            differenceMinor: discrepancy.differenceMinor,
            openForMs: nowMs - discrepancy.createdAtMs,
          },
          atMs: nowMs,
        });
        return true;
      });
      if (done) raised += 1;
    }
  }
  return raised;
}
