// What the host's answer (classified once by classify-reply.ts) does to a follow-up, beside
// decideFollowUp: the attempt's final fields, the follow-up's status and answer fields, whether a
// reversal is queued, which event records it, and the diagnosis the client is told. The use case
// writes all of it in one store write, and applies the decision's effects on the original when the
// follow-up ends approved.
//   - reversible (void, completion, cancel, completion void): approved, declined (not sent counts as
//     declined: nothing moved), or unknown: still pending, reversed, the client told 98/WAIT;
//   - advice (refund): accepted once stored, so only the host's refusal (or an advice that provably
//     never left) undoes it; without an answer it stays approved and queued, marked as sent so the
//     forwarder repeats it as 0221 with the same STAN and DE 7.
import { approvedDiagnosis, type Diagnosis } from '../declines/index.ts';
import type { AttemptRecord, PaymentRecord } from '../ports/store.ts';
import { assertNever } from '../vocabulary.ts';
import type { ReplyClass } from './classify-reply.ts';
import { toStoredDecline } from './stored-decline.ts';

export interface FollowUpReplyDecision {
  /** Merged over the stored `pending` attempt. */
  readonly attempt: Partial<AttemptRecord>;
  /** Merged over the stored follow-up (with a new version and time). */
  readonly payment: Pick<PaymentRecord, 'status' | 'responseCode'> & Partial<Pick<PaymentRecord, 'authCode' | 'rrn' | 'decline'>>;
  /** An unknown outcome of a reversible follow-up: the attempt is reversed (reason `98`). */
  readonly reverse: boolean;
  readonly event: 'payment.unknown' | 'payment.refund_refused_upstream' | 'payment.refund_queued' | null;
  readonly diagnosis: Diagnosis;
}

export function decideFollowUpReply(delivery: 'reversible' | 'advice', reply: ReplyClass, nowMs: number): FollowUpReplyDecision {
  const { fields, diagnosis } = reply;
  if (delivery === 'reversible') {
    switch (reply.kind) {
      case 'approved':
        return { attempt: fields, payment: { status: 'approved', responseCode: fields.responseCode ?? '00', authCode: fields.authCode ?? null, rrn: fields.rrn ?? null, decline: null }, reverse: false, event: null, diagnosis };
      case 'declined':
      case 'not_sent':
        return { attempt: fields, payment: { status: 'declined', ...unanswered(reply) }, reverse: false, event: null, diagnosis };
      case 'unknown':
        return { attempt: fields, payment: { status: 'pending', ...unanswered(reply) }, reverse: true, event: 'payment.unknown', diagnosis };
      default:
        return assertNever(reply, 'reply class');
    }
  }
  switch (reply.kind) {
    case 'approved':
      return { attempt: fields, payment: { status: 'approved', responseCode: fields.responseCode ?? '00', authCode: fields.authCode ?? null, rrn: fields.rrn ?? null }, reverse: false, event: null, diagnosis: approvedDiagnosis() };
    case 'declined':
    case 'not_sent':
      // Refused by the host, or provably never left: nothing was given back.
      return { attempt: fields, payment: { status: 'declined', responseCode: diagnosis.code, decline: toStoredDecline(diagnosis), rrn: fields.rrn ?? null }, reverse: false, event: 'payment.refund_refused_upstream', diagnosis };
    case 'unknown':
      // Sent and not acknowledged: the refund stands and the advice stays queued.
      return { attempt: { mti: '0221', sentAtMs: fields.sentAtMs ?? nowMs }, payment: { status: 'approved', responseCode: '00' }, reverse: false, event: 'payment.refund_queued', diagnosis: approvedDiagnosis() };
    default:
      return assertNever(reply, 'reply class');
  }
}

function unanswered(reply: ReplyClass): Pick<PaymentRecord, 'responseCode' | 'authCode' | 'rrn' | 'decline'> {
  return { responseCode: reply.diagnosis.code, authCode: reply.fields.authCode ?? null, rrn: reply.fields.rrn ?? null, decline: toStoredDecline(reply.diagnosis) };
}
