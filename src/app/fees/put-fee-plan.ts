// PUT /v1/fee-plans/{name}: a validated plan stored for every node (docs/fees.md, "Fee plans on several
// nodes"). One write holds the plan, its new version, who changed it and the audit record, and announces
// the change (on PostgreSQL a NOTIFY delivered on commit); every node re-reads its plans on the notice.
// The answer waits until this node prices with the new plan, so the caller's next sale here uses it.
import type { FeePlan } from '../../core/fees/fee-plan.ts';
import type { AuditRecord, Store } from '../../core/ports/store.ts';
import type { LiveFeePlans } from './live-fee-plans.ts';

export async function putFeePlan(deps: { store: Pick<Store, 'write'>; plans: Pick<LiveFeePlans, 'refresh'> }, plan: FeePlan, audit: AuditRecord): Promise<void> {
  await deps.store.write(async (tx) => {
    const existing = await tx.getFeePlanRecord(plan.name);
    await tx.upsertFeePlan({
      name: plan.name,
      document: plan.document,
      version: (existing?.version ?? 0) + 1,
      definedBy: 'api',
      // The file's version stays known: a start tells an unchanged plans file (the API change stays) from an edited one.
      fileDocument: existing?.fileDocument ?? null,
      changedBy: `api:${audit.actor}`,
      changedAtMs: audit.atMs,
    });
    await tx.appendAudit(audit);
  });
  await deps.plans.refresh();
}
