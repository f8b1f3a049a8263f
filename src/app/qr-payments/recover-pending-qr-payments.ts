// Use case: recover QR payments a crash (or a failed write) left `pending` with no follow-up. Their
// client was never told approved, so each is queried once: a refused or closed trade is finished
// declined (a key never answered is replayed from the payment, duplicate-sale.ts); anything else (paid included: the terminal gave up on it) is queued for a cancel, which
// the follow-up queue performs (cancel-unknown.ts). Run at start and by the recovery sweep.
import { decidePendingQrRecovery } from '../../core/qr/qr-follow-up-rules.ts';
import { protocolOfQrMethod } from '../../core/qr/choose-qr-channel.ts';
import type { QrCallResult } from '../../core/ports/qr-channel.ts';
import { updatePaymentChecked, writeDurably } from '../payments/durable-write.ts';
import { stopIfLeaseLost, type LeaseFence } from '../cluster/work-lease.ts';
import { callProvider } from './call-provider.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { diagnosisOfQrEnd, enqueueQrFollowUp, writeQrOutcomeUnit } from './qr-outcome-unit.ts';

export async function recoverPendingQrPayments(deps: QrPaymentDeps, pending: readonly PaymentRecord[], options: { fence?: LeaseFence | undefined } = {}): Promise<{ payments: number; declined: number; cancelsQueued: number }> {
  const counts = { payments: 0, declined: 0, cancelsQueued: 0 };
  for (const payment of pending) {
    if (payment.method !== 'wechat' && payment.method !== 'alipay') continue;
    // A pending refund or void is finished by its own use case's recovery (refund-qr-payment.ts), never by cancelling a trade.
    if (payment.kind !== 'sale') continue;
    if (deps.active.has(payment.id)) continue;
    if ((await deps.store.getQrFollowUpOfPayment(payment.id)) !== null) continue;
    const attempts = await deps.store.listAttempts(payment.id);
    const attempt = attempts[attempts.length - 1];
    if (attempt === undefined) continue;
    counts.payments += 1;
    const { fence } = options;
    stopIfLeaseLost(fence, 'the next query');
    const entry = deps.channels.find((candidate) => candidate.port.name === attempt.channel);
    let query: QrCallResult = { kind: 'not_sent', reason: 'closed', detail: `channel ${attempt.channel} is not configured` };
    if (entry !== undefined) {
      query = await callProvider(deps.clock, () => entry.port.query(payment.id, { timeoutMs: entry.timeoutMs }));
    }
    const plan = decidePendingQrRecovery(query);
    if (plan.kind === 'declined') {
      const diagnosis = diagnosisOfQrEnd(deps, protocolOfQrMethod[payment.method], 'declined', plan.providerCode);
      await writeQrOutcomeUnit(deps, { paymentId: payment.id, attempt: { ...attempt, providerCode: plan.providerCode }, end: 'declined', diagnosis, idempotency: null, followUpReason: null, by: 'recovery', fence });
      counts.declined += 1;
      continue;
    }
    await writeDurably(deps.store, async (tx) => {
      await fence?.check(tx);
      const nowMs = deps.clock.nowMs();
      const current = await tx.getPayment(payment.id);
      if (current === null || current.status !== 'pending') return;
      await tx.updateAttempt({ ...attempt, outcome: 'unknown' });
      // Due at once: the client left long ago, the cancel should not wait.
      await enqueueQrFollowUp(deps, tx, current, attempt, nowMs, 'left pending by a process that is gone');
      await updatePaymentChecked(tx, current, { ...current, updatedAtMs: nowMs });
      await tx.appendEvent({ type: 'payment.unknown', subjectId: current.id, payload: { seq: attempt.seq, channel: attempt.channel, method: current.method, by: 'recovery' }, atMs: nowMs });
    });
    counts.cancelsQueued += 1;
  }
  if (counts.payments > 0) deps.logger.info(counts, 'QR recovery after restart done');
  return counts;
}
