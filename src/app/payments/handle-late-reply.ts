// Use case: a late reply. A channel got a reply to a request that had already timed out (its sale went
// on without it). A late approval may have charged the card, so the attempt's reversal must exist:
// queued now, or sent again when it completed before the approval reached the host (late-reply-rules.ts).
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { getText } from '../../core/iso8583/index.ts';
import { decideLateReply, isLateReplyToLookUp } from '../../core/payments/late-reply-rules.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { UnmatchedReplyInfo } from '../../core/ports/channel.ts';
import { reopenReversal } from '../reversals/reversal-worker.ts';
import { writeDurably } from './durable-write.ts';
import type { SaleServices } from './sale-deps.ts';

/** For channels' onUnmatchedReply. */
export async function handleLateReply(deps: SaleServices, channel: string, message: IsoMessage, info: UnmatchedReplyInfo): Promise<void> {
  const { logger, clock } = deps;
  const stan = getText(message, 11);
  const transmittedAt = getText(message, 7);
  const code = getText(message, 39) ?? null;
  if (!isLateReplyToLookUp({ mti: message.mti, stan, transmittedAt, late: info.late }) || stan === undefined || transmittedAt === undefined) {
    logger.warn({ channel, mti: message.mti, stan, late: info.late }, 'unmatched upstream reply ignored');
    return;
  }
  const attempt = await deps.store.findAttemptByUpstreamKey(channel, stan, transmittedAt);
  if (attempt === null) {
    logger.warn({ channel, mti: message.mti, stan }, 'late reply for no known attempt');
    return;
  }
  const queued = await writeDurably(deps.store, async (tx) => {
    const payment = await tx.getPayment(attempt.paymentId);
    const fresh = (await tx.listAttempts(attempt.paymentId)).find((candidate) => candidate.id === attempt.id);
    if (payment === null || fresh === undefined) return false;
    const nowMs = clock.nowMs();
    await tx.appendEvent({ type: 'payment.late_reply', subjectId: payment.id, payload: { seq: fresh.seq, channel, responseCode: code, outcome: fresh.outcome }, atMs: nowMs });
    switch (decideLateReply({ responseCode: code, attempt: fresh })) {
      case 'record_only':
        return false;
      case 'reopen_reversal': {
        const reopened = await reopenReversal(tx, { attemptId: fresh.id, nowMs, newStan: await tx.nextStan(channel), transmittedAt: transmissionDateTime(nowMs), why: 'approval arrived after the reversal completed' });
        return reopened !== null;
      }
      case 'queue_reversal':
        // The reply came after the sale gave up: the money may have moved, so the reversal must exist (idempotent).
        await deps.enqueueReversal(tx, { attempt: fresh, payment, reasonCode: '98', nowMs, newStan: await tx.nextStan(channel), transmittedAt: transmissionDateTime(nowMs) });
        return true;
    }
  });
  logger.warn({ channel, paymentId: attempt.paymentId, attemptSeq: attempt.seq, responseCode: code }, 'late upstream reply');
  if (queued) deps.reversalWorker.kick();
}
