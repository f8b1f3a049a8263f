// The store-and-forward queue of refund advices: one pass re-sends every advice the host has not
// acknowledged yet as 0221 (same STAN and DE 7) when due (src/core/payments/refund-rules.ts,
// nextAdviceStep), and hands an advice whose business date has passed to manual handling. Each try
// is recorded in its own write; a refund the host acknowledges keeps its approval, one it refuses
// after it was accepted goes to manual handling (the money was already promised), and a try that
// never left or got no answer leaves the advice queued.
// On several nodes the pass runs under the `advices` work lease, fenced per advice (docs/cluster.md):
// nothing is sent once the lease may have lapsed by this node's clock, and each advice's write checks
// the lease's epoch first, so a node taken over mid-pass (paused, partitioned) sends and writes nothing
// more. An advice sent just before the lease was lost stays queued and is sent again by the next
// holder with the same STAN and DE 7, a repeat the host recognises.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { buildUpstreamFollowUp, entryModeCodeOf } from '../../core/payments/follow-up-request.ts';
import { classifyReply } from '../../core/payments/classify-reply.ts';
import { nextAdviceStep } from '../../core/payments/refund-rules.ts';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import type { AttemptRecord, PaymentRecord } from '../../core/ports/store.ts';
import type { LeaseFence } from '../cluster/work-lease.ts';
import { businessDateIn, channelNamed, mustGetPayment, type FollowUpContext } from './follow-up-context.ts';

const adviceMtis = new Set(['0220', '0221']);

export interface AdvicePass {
  sent: number;
  acknowledged: number;
  expired: number;
}

/** One pass over the queued advices. A lost lease ends it: before a send by this node's clock (the pass returns), in a write with RSW_LEASE_LOST (thrown). */
export async function forwardRefundAdvices(context: FollowUpContext, fence?: LeaseFence): Promise<AdvicePass> {
  const { store, clock, logger, settings } = context;
  const counts = { sent: 0, acknowledged: 0, expired: 0 };
  const pending = await store.listPendingAdvices(settings.advicesPerPassMax);
  for (const advice of pending) {
    if (!adviceMtis.has(advice.mti)) continue;
    if (fence !== undefined && !fence.holds()) {
      logger.warn({ lease: fence.lease.name, epoch: fence.lease.epoch }, 'advice pass stopped: its work lease may have lapsed');
      break;
    }
    const nowMs = clock.nowMs();
    const step = nextAdviceStep(
      { tries: advice.sentAtMs === null ? 0 : 1, lastSentAtMs: advice.sentAtMs === null ? null : Math.max(advice.sentAtMs, advice.completedAtMs ?? 0), businessDate: businessDateIn(context, advice.createdAtMs) },
      nowMs,
      businessDateIn(context, nowMs),
      settings.adviceRetryMs,
    );
    if (step.kind === 'wait') continue;
    if (step.kind === 'expire') {
      await store.write(async (tx) => {
        await fence?.check(tx);
        await tx.updateAttempt({ ...advice, outcome: 'unknown', completedAtMs: nowMs });
        await tx.appendEvent({ type: 'payment.manual_handling', subjectId: advice.paymentId, payload: { seq: advice.seq, channel: advice.channel, reason: 'refund advice not acknowledged before its settlement date' }, atMs: nowMs });
      });
      logger.error({ paymentId: advice.paymentId, channel: advice.channel }, 'refund advice expired unacknowledged: manual handling needed');
      counts.expired += 1;
      continue;
    }
    const result = await sendAdvice(context, advice, step.mti);
    counts.sent += 1;
    if (await recordAdviceResult(context, advice, step.mti, result, fence)) counts.acknowledged += 1;
  }
  return counts;
}

async function sendAdvice(context: FollowUpContext, advice: AttemptRecord, mti: string): Promise<ChannelSendResult> {
  const { store, clock, settings } = context;
  const named = channelNamed(context, advice.channel);
  const payment = await store.getPayment(advice.paymentId);
  const original = payment?.originalPaymentId == null ? null : await store.getPayment(payment.originalPaymentId);
  const originalAttempt = original === null ? undefined : (await store.listAttempts(original.id)).find((attempt) => attempt.outcome === 'approved');
  const merchant = payment === null ? null : await store.getMerchant(payment.merchantId);
  if (named === null || payment === null || original === null || originalAttempt === undefined || merchant === null) {
    return { kind: 'not_sent', reason: 'closed', detail: 'channel or original not available' };
  }
  const message = buildUpstreamFollowUp({
    type: 'refund',
    mti,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    merchant: { id: merchant.id, name: merchant.name, mcc: merchant.mcc },
    upstreamTerminalId: advice.upstreamTerminalId,
    acquirerId: named.settings.acquirerId,
    stan: advice.stan,
    transmittedAtMs: advice.createdAtMs,
    nowMs: clock.nowMs(),
    originalAttempt,
    originalRrn: original.rrn,
    localOffsetMinutes: settings.localOffsetMinutes,
    entryModeCode: entryModeCodeOf(original.entryMode),
  });
  return named.channel.send(message, { timeoutMs: named.settings.timeoutMs });
}

/** Records one forwarding try; true when the host acknowledged (or definitively refused) the advice. */
async function recordAdviceResult(context: FollowUpContext, advice: AttemptRecord, mti: string, result: ChannelSendResult, fence: LeaseFence | undefined): Promise<boolean> {
  const nowMs = context.clock.nowMs();
  const reply = classifyReply(result, nowMs);
  // Only the host's answer ends the advice; a try that never left (no connection) or got no answer
  // leaves it queued for the next pass, until its business date.
  const answered = reply.kind === 'approved' || reply.kind === 'declined';
  return context.store.write(async (tx) => {
    await fence?.check(tx);
    const fresh = (await tx.listAttempts(advice.paymentId)).find((attempt) => attempt.id === advice.id);
    if (fresh === undefined || fresh.outcome !== 'pending') return false;
    if (answered) {
      await tx.updateAttempt({ ...fresh, ...reply.fields, mti });
      const payment = await mustGetPayment(tx, advice.paymentId);
      const updated: PaymentRecord = reply.kind === 'approved'
        ? { ...payment, rrn: reply.fields.rrn ?? payment.rrn, authCode: reply.fields.authCode ?? payment.authCode, updatedAtMs: nowMs, version: payment.version + 1 }
        : { ...payment, updatedAtMs: nowMs, version: payment.version + 1 };
      if (!(await tx.updatePayment(payment, updated))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payments_version' });
      await tx.appendEvent({
        type: reply.kind === 'approved' ? 'payment.refund_acknowledged' : 'payment.manual_handling',
        subjectId: advice.paymentId,
        payload: reply.kind === 'approved' ? { channel: advice.channel } : { channel: advice.channel, code: reply.diagnosis.code, reason: 'the host refused a refund advice already accepted' },
        atMs: nowMs,
      });
      return true;
    }
    await tx.updateAttempt({ ...fresh, mti, sentAtMs: result.kind === 'not_sent' ? fresh.sentAtMs : nowMs, completedAtMs: nowMs });
    return false;
  });
}
