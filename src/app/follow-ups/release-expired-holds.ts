// Hold expiry: pre-authorizations older than `holdExpiryDays` are released. The hold becomes `voided`
// with a `payment.hold_expired` event, so it leaves the open holds and can no longer be completed (the
// issuer releases its side by its own clock). One write per hold, on the hold locked for update, so a
// completion or cancel deciding on another node waits and a hold is never both released and completed.
// On several nodes the pass runs under the `advices` work lease and each hold's write checks it first
// (docs/cluster.md): a node that lost the lease mid-pass releases nothing more.
import { toFollowUp } from '../../core/payments/follow-up-decision.ts';
import { dayMs, isHoldReleasable } from '../../core/payments/preauth-rules.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import type { LeaseFence } from '../cluster/work-lease.ts';
import type { FollowUpContext } from './follow-up-context.ts';

/** Holds one pass releases at most; the rest wait for the next pass. */
const holdsPerPassMax = 500;

/** Releases up to `holdsPerPassMax` expired holds; returns how many were released in this pass. A lost lease (RSW_LEASE_LOST) ends the pass. */
export async function releaseExpiredHolds(context: FollowUpContext, fence?: LeaseFence): Promise<number> {
  const { store, clock, settings } = context;
  const nowMs = clock.nowMs();
  const expiredBeforeMs = nowMs - settings.holdExpiryDays * dayMs;
  const holds = await store.listExpiredHolds(expiredBeforeMs + 1, holdsPerPassMax);
  let released = 0;
  for (const hold of holds) {
    const done = await store.write(async (tx) => {
      await fence?.check(tx);
      const current = await tx.lockPaymentForUpdate(hold.id);
      if (current === null || !isHoldReleasable(current, (await tx.listFollowUps(current.id)).map(toFollowUp))) return false;
      const updated: PaymentRecord = { ...current, status: 'voided', updatedAtMs: nowMs, version: current.version + 1 };
      if (!(await tx.updatePayment(current, updated))) return false;
      await tx.appendEvent({ type: 'payment.hold_expired', subjectId: current.id, payload: { amountMinor: current.amountMinor, holdExpiryDays: settings.holdExpiryDays }, atMs: nowMs });
      return true;
    });
    if (done) released += 1;
  }
  return released;
}
