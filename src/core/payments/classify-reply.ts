// What one channel answer says about the attempt that caused it, decided once for every use case that
// sends upstream (a sale, a follow-up): approved, declined, provably not sent, or unknown (sent, no usable
// answer: money may have moved, so it must be reversed, never resent). The classification carries the
// attempt's final fields and the diagnosis the client is told; the caller writes the fields and decides
// what follows (a sale feeds the state machine of payment-decision.ts, a follow-up its own decision).
import type { Diagnosis } from '../declines/index.ts';
import { classifyOutcome, classifyResponseCode } from '../declines/index.ts';
import { getText } from '../iso8583/index.ts';
import type { ChannelSendResult } from '../ports/channel.ts';
import type { AttemptRecord } from '../ports/store.ts';

/** The fields of an attempt a channel answer settles; merged over the stored `pending` attempt. */
export type AttemptOutcomeFields = Pick<AttemptRecord, 'outcome' | 'completedAtMs'> &
  Partial<Pick<AttemptRecord, 'sentAtMs' | 'latencyMs' | 'responseCode' | 'authCode' | 'rrn'>>;

export type ReplyClass =
  /** A reply whose DE 39 is an approval. */
  | { readonly kind: 'approved'; readonly fields: AttemptOutcomeFields; readonly diagnosis: Diagnosis }
  /** A reply whose DE 39 is anything else: no money moved. */
  | { readonly kind: 'declined'; readonly fields: AttemptOutcomeFields; readonly diagnosis: Diagnosis }
  /** Provably never reached the socket: nothing moved, safe to retry. */
  | { readonly kind: 'not_sent'; readonly fields: AttemptOutcomeFields; readonly diagnosis: Diagnosis }
  /** Sent, and no usable answer (timeout, lost connection, a reply without a readable DE 39 or with a bad MAC): money may have moved. */
  | { readonly kind: 'unknown'; readonly fields: AttemptOutcomeFields; readonly diagnosis: Diagnosis };

/** A DE 39 is two digits or capital letters; anything else (absent included) makes the reply unusable. */
const responseCodePattern = /^[0-9A-Z]{2}$/;

/** Classifies one channel answer at `nowMs` (the instant the use case received it). */
export function classifyReply(result: ChannelSendResult, nowMs: number): ReplyClass {
  switch (result.kind) {
    case 'reply': {
      const code = getText(result.message, 39);
      const timing = { sentAtMs: result.sentAtMs, latencyMs: result.latencyMs, completedAtMs: nowMs };
      // A reply whose code cannot be read is trusted for nothing, not even its RRN.
      if (code === undefined || !responseCodePattern.test(code)) return { kind: 'unknown', fields: { ...timing, outcome: 'unknown' }, diagnosis: classifyOutcome('malformed_reply') };
      const diagnosis = diagnosisOfResponseCode(code);
      const rrn = getText(result.message, 37)?.trim() ?? null;
      if (diagnosis.outcome === 'approved') {
        return { kind: 'approved', fields: { ...timing, outcome: 'approved', responseCode: code, authCode: getText(result.message, 38)?.trim() ?? null, rrn }, diagnosis };
      }
      return { kind: 'declined', fields: { ...timing, outcome: 'declined', responseCode: code, authCode: null, rrn }, diagnosis };
    }
    case 'not_sent':
      return { kind: 'not_sent', fields: { outcome: 'not_sent', completedAtMs: nowMs }, diagnosis: classifyOutcome('not_sent') };
    case 'no_reply':
      return {
        kind: 'unknown',
        fields: { outcome: 'unknown', sentAtMs: result.sentAtMs, completedAtMs: nowMs },
        diagnosis: classifyOutcome(result.reason === 'malformed_reply' || result.reason === 'bad_mac' ? result.reason : 'no_reply'),
      };
  }
}

/** The diagnosis of a stored or received DE 39 (a code missing from the catalogue is verdict `fix`, never an exception). */
export function diagnosisOfResponseCode(code: string): Diagnosis {
  return classifyResponseCode(code);
}
