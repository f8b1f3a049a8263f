// Use case: finish QR voids a crash left `pending` (the void's intent was written, its answer was not;
// the cancel may or may not have reached the provider). Run at start and by the recovery sweep. The
// cancel (撤销) is sent again for the original's out_trade_no: the provider cancels a trade once and
// answers a repeat as cancelled, so a second cancel never gives money back twice. Its answer ends the
// void as the void itself would (void-qr-payment.ts): confirmed, the original is `voided`; refused, the
// void is declined; still unknown, the void is flagged for manual handling, never left pending unflagged.
import { isQrProviderMethod } from '../../core/qr/auth-code.ts';
import type { QrCancelResult } from '../../core/ports/qr-channel.ts';
import { stopIfLeaseLost, type LeaseFence } from '../cluster/work-lease.ts';
import { callProvider } from './call-provider.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { writeQrVoidOutcome } from './void-qr-payment.ts';

export async function recoverPendingQrVoids(deps: QrPaymentDeps, pending: readonly PaymentRecord[], options: { fence?: LeaseFence | undefined } = {}): Promise<{ voids: number; confirmed: number; manual: number }> {
  const counts = { voids: 0, confirmed: 0, manual: 0 };
  for (const voidPayment of pending) {
    if (voidPayment.kind !== 'void' || !isQrProviderMethod(voidPayment.method) || voidPayment.originalPaymentId === null) continue;
    if ((voidPayment.manualHandlingSinceMs ?? null) !== null || deps.active.has(voidPayment.id)) continue;
    const { originalPaymentId } = voidPayment;
    const attempt = (await deps.store.listAttempts(voidPayment.id)).at(-1);
    if (attempt === undefined) continue;
    counts.voids += 1;
    const entry = deps.channels.find((candidate) => candidate.port.name === attempt.channel);
    let result: QrCancelResult = { kind: 'not_sent', reason: 'closed', detail: `channel ${attempt.channel} is not configured` };
    if (entry !== undefined) {
      stopIfLeaseLost(options.fence, 'the next cancel');
      deps.active.add(voidPayment.id);
      try {
        result = await callProvider(deps.clock, () => entry.port.cancel(originalPaymentId, { timeoutMs: entry.timeoutMs }));
      } finally {
        deps.active.delete(voidPayment.id);
      }
    }
    // Asked to call again: the next sweep does, unless the answer is final now.
    if (result.kind === 'answer' && result.callAgain) continue;
    const { view } = await writeQrVoidOutcome(deps, voidPayment.id, originalPaymentId, attempt, result, null, options.fence);
    if (view.status === 'approved') counts.confirmed += 1;
    else if (view.status === 'pending') counts.manual += 1;
  }
  if (counts.voids > 0) deps.logger.info(counts, 'QR void recovery done');
  return counts;
}
