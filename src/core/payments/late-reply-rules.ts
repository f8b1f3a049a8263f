// What a reply that came after its sale gave up on it means for the money. A late approval may have
// charged the card, so the attempt's reversal must exist (queued now, or sent again if it completed
// before the approval reached the host); anything else is only recorded.
import type { AttemptState } from '../ports/store.ts';
import { diagnosisOfResponseCode } from './classify-reply.ts';
import { isUnresolved } from './payment-decision.ts';

export type LateReplyAction =
  /** Recorded as `payment.late_reply`; nothing else to do. */
  | 'record_only'
  /** The reversal completed before this approval reached the host (it may have answered 25): send it again. */
  | 'reopen_reversal'
  /** The attempt is still unresolved: its reversal must be queued (idempotent). */
  | 'queue_reversal';

/** True for the replies worth looking up: a late reply (matching a request that timed out) to a sale, pre-authorization or their advice. */
export function isLateReplyToLookUp(reply: { mti: string; stan: string | undefined; transmittedAt: string | undefined; late: boolean }): boolean {
  return reply.late && reply.stan !== undefined && reply.transmittedAt !== undefined && (reply.mti.startsWith('02') || reply.mti.startsWith('01'));
}

export function decideLateReply(input: { responseCode: string | null; attempt: { mti: string; outcome: AttemptState } }): LateReplyAction {
  if (input.responseCode === null || diagnosisOfResponseCode(input.responseCode).outcome !== 'approved') return 'record_only';
  // An advice (0220/0221: a refund) is never reversed: it is stored and forwarded until acknowledged,
  // and a late 0230 only acknowledges what the host already booked. The advice forwarder's next 0221
  // gets the host's original answer and closes it.
  if (isAdviceMti(input.attempt.mti)) return 'record_only';
  if (input.attempt.outcome === 'reversed') return 'reopen_reversal';
  return isUnresolved(input.attempt.outcome) ? 'queue_reversal' : 'record_only';
}

/** MTI function digit 2 or 3 (advice, advice response): store-and-forward messages, never reversed. */
export function isAdviceMti(mti: string): boolean {
  return mti[2] === '2' || mti[2] === '3';
}
