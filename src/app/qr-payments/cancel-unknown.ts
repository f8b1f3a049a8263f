// Use case: the durable follow-up queue (qr_follow_ups). A QR trade whose outcome stayed unknown when
// its client's budget ended, or that a crash left pending, is cancelled (撤销) in the background:
// every due follow-up gets one cancel; a confirmed cancel ends the payment `reversed` (not charged),
// anything else is tried again with backoff, and after engine.qr.followUp.triesMax the payment is
// handed to manual handling (it stays `pending`, flagged), like a dead-lettered card reversal.
import { decideQrFollowUp } from '../../core/qr/qr-follow-up-rules.ts';
import { protocolOfQrMethod } from '../../core/qr/choose-qr-channel.ts';
import type { QrCancelResult } from '../../core/ports/qr-channel.ts';
import type { QrFollowUpRecord } from '../../core/ports/store.ts';
import { updatePaymentChecked, writeDurably } from '../payments/durable-write.ts';
import { stopIfLeaseLost, type LeaseFence } from '../cluster/work-lease.ts';
import { callProvider } from './call-provider.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { diagnosisOfQrEnd, writeQrOutcomeUnit } from './qr-outcome-unit.ts';

/** Runs every follow-up due now (at most settings.recoveryBatchMax); resolves with how many ended each way. */
export async function cancelUnknownTrades(deps: QrPaymentDeps, fence?: LeaseFence): Promise<{ cancelled: number; again: number; dead: number }> {
  const due = await deps.store.listDueQrFollowUps(deps.clock.nowMs(), deps.settings.recoveryBatchMax);
  const counts = { cancelled: 0, again: 0, dead: 0 };
  for (const followUp of due) {
    if (deps.active.has(followUp.paymentId)) continue;
    // On several nodes: once the `qr` lease may have passed to another node, nothing more is sent.
    stopIfLeaseLost(fence, 'the next cancel');
    const step = await cancelOne(deps, followUp, fence);
    counts[step] += 1;
  }
  return counts;
}

async function cancelOne(deps: QrPaymentDeps, followUp: QrFollowUpRecord, fence: LeaseFence | undefined): Promise<'cancelled' | 'again' | 'dead'> {
  const entry = deps.channels.find((candidate) => candidate.port.name === followUp.channel);
  let result: QrCancelResult;
  if (entry === undefined) {
    result = { kind: 'not_sent', reason: 'closed', detail: `channel ${followUp.channel} is not configured` };
  } else {
    result = await callProvider(deps.clock, () => entry.port.cancel(followUp.outTradeNo, { timeoutMs: entry.timeoutMs }));
  }
  const tries = followUp.tries + 1;
  const step = decideQrFollowUp(deps.settings.followUp, tries, result, deps.clock.nowMs());
  if (step.kind === 'done') {
    const attempt = (await deps.store.listAttempts(followUp.paymentId)).find((candidate) => candidate.id === followUp.attemptId);
    const payment = await deps.store.getPayment(followUp.paymentId);
    if (attempt !== undefined && payment !== null && payment.status === 'pending') {
      const method = payment.method === 'alipay' ? 'alipay' : 'wechat';
      await writeQrOutcomeUnit(deps, { paymentId: payment.id, attempt, end: 'cancelled', diagnosis: diagnosisOfQrEnd(deps, protocolOfQrMethod[method], 'cancelled', null), idempotency: null, followUpReason: null, by: 'follow_up', fence });
    }
    await writeDurably(deps.store, async (tx) => {
      await fence?.check(tx);
      await tx.updateQrFollowUp({ ...followUp, state: 'done', tries, lastError: null, completedAtMs: deps.clock.nowMs() });
    });
    deps.logger.info({ paymentId: followUp.paymentId, tries }, 'QR trade cancelled by its follow-up: not charged');
    return 'cancelled';
  }
  if (step.kind === 'again') {
    await writeDurably(deps.store, async (tx) => {
      await fence?.check(tx);
      await tx.updateQrFollowUp({ ...followUp, tries, nextAtMs: step.nextAtMs, lastError: step.lastError });
    });
    return 'again';
  }
  await writeDurably(deps.store, async (tx) => {
    await fence?.check(tx);
    const nowMs = deps.clock.nowMs();
    await tx.updateQrFollowUp({ ...followUp, state: 'dead', tries, lastError: step.lastError, completedAtMs: nowMs });
    const payment = await tx.getPayment(followUp.paymentId);
    if (payment !== null && payment.status === 'pending' && (payment.manualHandlingSinceMs ?? null) === null) {
      await updatePaymentChecked(tx, payment, { ...payment, manualHandlingSinceMs: nowMs, updatedAtMs: nowMs });
      await tx.appendEvent({ type: 'payment.manual_handling', subjectId: payment.id, payload: { method: payment.method, channel: followUp.channel, tries, lastError: step.lastError }, atMs: nowMs });
    }
  });
  deps.logger.error({ paymentId: followUp.paymentId, tries, lastError: step.lastError }, 'QR trade could not be cancelled; handed to manual handling');
  return 'dead';
}
