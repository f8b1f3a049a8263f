// Use case: an operator acts on a discrepancy (docs/reconciliation.md, "The queue"): investigate,
// add a note, resolve with an adjustment, or write it off. The pure queue rules decide; one store
// write holds the discrepancy's new state (compare-and-set on its version), the action row (who, when,
// note), the settlement adjustment of a resolution, the audit record and the event. A refusal changes nothing.
import { randomUUID } from 'node:crypto';
import { businessDateOf } from '../../core/fees/business-date.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { DiscrepancyRecord, Store } from '../../core/ports/store.ts';
import { decideDiscrepancyAction, discrepancyNoteRefusal, type DiscrepancyAction } from '../../core/reconciliation/discrepancy-queue.ts';
import type { Clock } from '../../core/time/clock.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { ActOnDiscrepancyInput } from '../../core/ports/reconciliation-use-cases.ts';

export interface DiscrepancyActionDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** The settlement day rule: an adjustment is dated by the business date of its resolution. */
  readonly settlementDay: { readonly timeZone: string; readonly cutoff?: string | undefined };
}

export type { ActOnDiscrepancyInput } from '../../core/ports/reconciliation-use-cases.ts';

export async function actOnDiscrepancy(deps: DiscrepancyActionDeps, input: ActOnDiscrepancyInput): Promise<DiscrepancyRecord> {
  const noteRefusal = discrepancyNoteRefusal(input.note);
  if (noteRefusal !== null) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'note', reason: noteRefusal });
  return deps.store.write(async (tx) => {
    const before = await tx.getDiscrepancy(input.discrepancyId);
    if (before === null) throw new ReswipeError('RSW_RECON_DISCREPANCY_NOT_FOUND', { discrepancyId: input.discrepancyId, field: 'discrepancyId' });
    const action: DiscrepancyAction =
      input.action === 'resolve' ? { kind: 'resolve', merchantId: input.merchantId ?? before.merchantId, adjustmentMinor: input.adjustmentMinor ?? 0 } : { kind: input.action };
    const decision = decideDiscrepancyAction(before.state, action);
    if (decision.kind === 'refused') throw new ReswipeError('RSW_RECON_ACTION_REFUSED', { discrepancyId: before.id, state: before.state, reason: decision.reason, field: input.action === 'resolve' ? 'adjustmentMinor' : 'action' });
    const nowMs = deps.clock.nowMs();
    const after: DiscrepancyRecord = {
      ...before,
      state: decision.nextState,
      merchantId: decision.adjustment?.merchantId ?? before.merchantId,
      adjustmentMinor: decision.adjustment?.amountMinor ?? before.adjustmentMinor,
      updatedAtMs: nowMs,
    };
    if (!(await tx.updateDiscrepancy(before, after))) throw new ReswipeError('RSW_RECON_CHANGED', { discrepancyId: before.id, field: 'discrepancyId' });
    const actions = await tx.listDiscrepancyActions(before.id);
    await tx.insertDiscrepancyAction({
      discrepancyId: before.id,
      seq: actions.length + 1,
      action: input.action,
      stateBefore: before.state,
      stateAfter: after.state,
      note: input.note.trim(),
      actor: input.actor,
      adjustmentMinor: decision.adjustment?.amountMinor ?? null,
      atMs: nowMs,
    });
    if (decision.adjustment !== null) {
      await tx.insertSettlementAdjustment({
        id: `adj_${randomUUID()}`,
        discrepancyId: before.id,
        merchantId: decision.adjustment.merchantId,
        amountMinor: decision.adjustment.amountMinor,
        businessDate: businessDateOf(nowMs, deps.settlementDay.timeZone, deps.settlementDay.cutoff),
        reason: `${before.category}:${before.causeCode}`,
        batchId: null,
        createdAtMs: nowMs,
      });
    }
    await recordAudit(tx, {
      actor: input.actor,
      action: `recon.${input.action}`,
      subjectId: before.id,
      detail: { runId: before.runId, category: before.category, stateBefore: before.state, stateAfter: after.state, note: input.note.trim(), adjustmentMinor: decision.adjustment?.amountMinor ?? null, merchantId: after.merchantId },
      atMs: nowMs,
    });
    if (after.state !== before.state) {
      await tx.appendEvent({
        type: 'recon.discrepancy_changed',
        subjectId: before.id,
        payload: { runId: before.runId, channel: before.channel, businessDate: before.businessDate, category: before.category, from: before.state, to: after.state, actor: input.actor, adjustmentMinor: after.adjustmentMinor, merchantId: after.merchantId },
        atMs: nowMs,
      });
    }
    const stored = { ...after, version: before.version + 1 };
    await input.inTx?.(tx, stored);
    return stored;
  });
}
