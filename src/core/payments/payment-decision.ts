// The decision core of one payment: a pure state machine that takes what happened (local checks,
// an attempt's result, a reversal's settlement, a timer) and returns the next state plus the effects
// the engine must perform (send an attempt, queue a reversal, answer the client, wake up later).
// The engine persists the state and effects in one store write, performs them, and feeds the
// results back as events. Money safety lives here, so it can be tested without I/O:
//   - never a new attempt while an earlier attempt is pending or unknown and not yet reversed;
//   - never a new attempt after an approval, or after the client has been answered;
//   - the client gets exactly one answer, before the reply deadline.
import type { AttemptState } from '../ports/store.ts';
import type { PaymentStatus } from '../vocabulary.ts';
import type { Diagnosis } from '../declines/index.ts';
import type { RetryDecision } from '../declines/index.ts';
import { failoverAllowed } from '../routing/failover-rule.ts';

export interface DecisionAttempt {
  readonly seq: number;
  readonly channel: string;
  readonly outcome: AttemptState;
}

/** What the client was (or will be) told. `wait` is DE 39 `98` with verdict WAIT: the outcome is still unknown. */
export type ClientAnswer =
  | { readonly kind: 'approved'; readonly seq: number }
  | { readonly kind: 'declined'; readonly diagnosis: Diagnosis }
  | { readonly kind: 'wait'; readonly diagnosis: Diagnosis };

export interface PaymentDecisionState {
  readonly attempts: readonly DecisionAttempt[];
  /** Enabled channels, best first. A retry after `not_sent` moves to the next one. */
  readonly channels: readonly string[];
  /** The instant by which the client must have its answer (already minus a safety margin). */
  readonly replyByMs: number;
  /** Hard bound on attempts for one payment, whatever the retry rules say. */
  readonly attemptsMax: number;
  /** Smallest useful time for one upstream try; below it no new attempt starts. */
  readonly attemptMinMs: number;
  readonly answer: ClientAnswer | null;
  /** The latest diagnosis, used for the answer when the payment stops without approval. */
  readonly lastDiagnosis: Diagnosis | null;
  /** A retry that waits for a time (retryable decline) or for a reversal (unknown attempt). */
  readonly pendingRetry: { readonly atMs: number; readonly channel: string } | null;
  /** An unknown attempt whose reversal the sale waits for (until the reply deadline) before answering. */
  readonly retryAfterReversalSeq: number | null;
  /** Whether, once that reversal is confirmed, a new attempt may follow (else the answer is "reversed, not charged"). */
  readonly retryAfterReversal: boolean;
  /** True once nothing more will happen for this payment in this process (background reversal excepted). */
  readonly finished: boolean;
}

export type PaymentEvent =
  | { readonly type: 'checked'; readonly nowMs: number; readonly decline: Diagnosis | null }
  /** A reply with a response code arrived in time. */
  | { readonly type: 'replied'; readonly nowMs: number; readonly seq: number; readonly diagnosis: Diagnosis; readonly retry: RetryDecision }
  /** Nothing left: safe to retry. */
  | { readonly type: 'not_sent'; readonly nowMs: number; readonly seq: number; readonly diagnosis: Diagnosis; readonly retry: RetryDecision }
  /**
   * Sent, no definite answer (timeout, connection lost, malformed or unauthenticated reply). `retry` answers
   * "once this attempt is confirmed reversed, may the gateway try again?" (the rules never retry blindly).
   */
  | { readonly type: 'no_reply'; readonly nowMs: number; readonly seq: number; readonly diagnosis: Diagnosis; readonly retry: RetryDecision }
  /**
   * `retry`: the recovery policy's answer once the reversal is confirmed (decide-recovery.ts), made with the
   * channels healthy at that moment; without it, the `no_reply` event's answer and the next channel apply.
   */
  | { readonly type: 'reversal_settled'; readonly nowMs: number; readonly seq: number; readonly result: 'reversed' | 'dead'; readonly diagnosis: Diagnosis; readonly retry?: RetryDecision }
  /** A wake-up the engine scheduled: a retry time or the reply deadline. */
  | { readonly type: 'timer'; readonly nowMs: number };

export type PaymentEffect =
  | { readonly kind: 'send'; readonly seq: number; readonly channel: string; readonly timeoutMs: number }
  | { readonly kind: 'enqueue_reversal'; readonly seq: number; readonly reasonCode: string }
  | { readonly kind: 'reply'; readonly answer: ClientAnswer }
  | { readonly kind: 'wake_at'; readonly atMs: number };

export interface Decision {
  readonly state: PaymentDecisionState;
  readonly effects: readonly PaymentEffect[];
}

export function initialDecisionState(input: {
  channels: readonly string[];
  replyByMs: number;
  attemptsMax: number;
  attemptMinMs: number;
}): PaymentDecisionState {
  return {
    attempts: [],
    channels: input.channels,
    replyByMs: input.replyByMs,
    attemptsMax: input.attemptsMax,
    attemptMinMs: input.attemptMinMs,
    answer: null,
    lastDiagnosis: null,
    pendingRetry: null,
    retryAfterReversalSeq: null,
    retryAfterReversal: false,
    finished: false,
  };
}

/** The client-facing status of a payment, derived from its attempts alone. */
export function derivePaymentStatus(attempts: readonly Pick<DecisionAttempt, 'outcome'>[]): PaymentStatus {
  if (attempts.some((attempt) => attempt.outcome === 'approved')) return 'approved';
  if (attempts.some((attempt) => attempt.outcome === 'pending' || attempt.outcome === 'unknown')) return 'pending';
  const last = attempts[attempts.length - 1];
  if (last !== undefined && last.outcome === 'reversed') return 'reversed';
  return 'declined';
}

/** True when an attempt may still have moved money and has not been reversed. */
export function isUnresolved(outcome: AttemptState): boolean {
  return outcome === 'pending' || outcome === 'unknown';
}

/** Whether a new upstream attempt is safe now (the core money-safety gate). */
export function mayStartAttempt(state: PaymentDecisionState): boolean {
  if (state.answer !== null || state.finished) return false;
  if (state.attempts.length >= state.attemptsMax) return false;
  return state.attempts.every((attempt) => attempt.outcome !== 'approved' && !isUnresolved(attempt.outcome));
}

/** Applies one event. Pure: the same state and event always give the same decision. */
export function decide(state: PaymentDecisionState, event: PaymentEvent): Decision {
  switch (event.type) {
    case 'checked':
      return onChecked(state, event);
    case 'replied':
      return onReplied(state, event);
    case 'not_sent':
      return onNotSent(state, event);
    case 'no_reply':
      return onNoReply(state, event);
    case 'reversal_settled':
      return onReversalSettled(state, event);
    case 'timer':
      return onTimer(state, event);
  }
}

function onChecked(state: PaymentDecisionState, event: Extract<PaymentEvent, { type: 'checked' }>): Decision {
  assert(state.attempts.length === 0 && state.answer === null, 'local checks run once, before any attempt');
  if (event.decline !== null) return stop(state, event.decline);
  const first = state.channels[0];
  if (first === undefined) return stop(state, null);
  return startAttempt({ ...state }, first, event.nowMs, []);
}

function onReplied(state: PaymentDecisionState, event: Extract<PaymentEvent, { type: 'replied' }>): Decision {
  const attempt = expectPending(state, event.seq);
  if (attempt === null) return { state, effects: [] };
  const approved = event.diagnosis.outcome === 'approved';
  const next = withOutcome(state, event.seq, approved ? 'approved' : 'declined', event.diagnosis);
  if (approved) {
    const answer: ClientAnswer = { kind: 'approved', seq: event.seq };
    if (next.answer !== null) {
      // The client was already told WAIT and the reply still arrived inside the channel's window: the
      // client believes it failed, so the approval must be undone to keep the money and the answer in step.
      return { state: { ...next, finished: true }, effects: [{ kind: 'enqueue_reversal', seq: event.seq, reasonCode: '98' }] };
    }
    return { state: { ...next, answer, finished: true, pendingRetry: null }, effects: [{ kind: 'reply', answer }] };
  }
  return afterDefiniteFailure(next, attempt.channel, event.retry, event.nowMs, false);
}

function onNotSent(state: PaymentDecisionState, event: Extract<PaymentEvent, { type: 'not_sent' }>): Decision {
  const attempt = expectPending(state, event.seq);
  if (attempt === null) return { state, effects: [] };
  const next = withOutcome(state, event.seq, 'not_sent', event.diagnosis);
  return afterDefiniteFailure(next, attempt.channel, event.retry, event.nowMs, true);
}

function onNoReply(state: PaymentDecisionState, event: Extract<PaymentEvent, { type: 'no_reply' }>): Decision {
  const attempt = expectPending(state, event.seq);
  if (attempt === null) return { state, effects: [] };
  const next = withOutcome(state, event.seq, 'unknown', event.diagnosis);
  const effects: PaymentEffect[] = [{ kind: 'enqueue_reversal', seq: event.seq, reasonCode: '98' }];
  if (next.answer === null && event.nowMs < next.replyByMs) {
    // Wait for the reversal up to the reply deadline: a confirmed reversal gives the client a definite
    // "not charged" (or allows a retry); only an outcome still unknown at the deadline is answered WAIT.
    effects.push({ kind: 'wake_at', atMs: next.replyByMs });
    const retryAfterReversal = event.retry.action !== 'stop' && next.attempts.length < next.attemptsMax;
    return { state: { ...next, retryAfterReversalSeq: event.seq, retryAfterReversal }, effects };
  }
  return answerWait(next, effects);
}

function onReversalSettled(state: PaymentDecisionState, event: Extract<PaymentEvent, { type: 'reversal_settled' }>): Decision {
  const attempt = state.attempts.find((candidate) => candidate.seq === event.seq);
  if (attempt === undefined || attempt.outcome !== 'unknown') return { state, effects: [] };
  if (event.result === 'dead') {
    // Manual handling: the attempt stays unknown, the payment pending; the engine raises the event.
    const next = { ...state, retryAfterReversalSeq: null, retryAfterReversal: false };
    if (next.answer !== null) return { state: { ...next, finished: true }, effects: [] };
    return answerWait(next, []);
  }
  const next = withOutcome(state, event.seq, 'reversed', event.diagnosis);
  if (next.retryAfterReversalSeq === event.seq && next.answer === null) {
    const cleared = { ...next, retryAfterReversalSeq: null, retryAfterReversal: false };
    if (event.retry !== undefined) return afterDefiniteFailure(cleared, attempt.channel, event.retry, event.nowMs, false);
    // A confirmed reversal proves the unknown attempt moved no money: the retry may go to the next channel.
    const channel = nextChannel(cleared, attempt.channel, failoverAllowed({ outcome: 'unknown', reversalConfirmed: true }));
    if (next.retryAfterReversal && fits(cleared, event.nowMs) && mayStartAttempt(cleared)) return startAttempt(cleared, channel, event.nowMs, []);
    return stop(cleared, event.diagnosis);
  }
  if (next.answer !== null) return { state: { ...next, finished: true }, effects: [] };
  return { state: next, effects: [] };
}

function onTimer(state: PaymentDecisionState, event: Extract<PaymentEvent, { type: 'timer' }>): Decision {
  if (state.answer !== null || state.finished) return { state, effects: [] };
  if (state.retryAfterReversalSeq !== null && event.nowMs >= state.replyByMs) {
    return answerWait({ ...state, retryAfterReversalSeq: null, retryAfterReversal: false }, []);
  }
  if (state.pendingRetry !== null && event.nowMs >= state.pendingRetry.atMs) {
    const { channel } = state.pendingRetry;
    const cleared = { ...state, pendingRetry: null };
    if (fits(cleared, event.nowMs) && mayStartAttempt(cleared)) return startAttempt(cleared, channel, event.nowMs, []);
    return stop(cleared, cleared.lastDiagnosis);
  }
  return { state, effects: [] };
}

function afterDefiniteFailure(state: PaymentDecisionState, channel: string, retry: RetryDecision, nowMs: number, wasNotSent: boolean): Decision {
  if (state.answer !== null) return { state: { ...state, finished: true }, effects: [] };
  switch (retry.action) {
    case 'stop':
      return stop(state, state.lastDiagnosis);
    case 'retry_now': {
      const target = retry.channel ?? nextChannel(state, channel, failoverAfter(state, wasNotSent));
      if (fits(state, nowMs) && mayStartAttempt(state)) return startAttempt(state, target, nowMs, []);
      return stop(state, state.lastDiagnosis);
    }
    case 'retry_after': {
      const atMs = nowMs + Math.max(0, retry.waitMs);
      if (!fits(state, atMs) || !mayStartAttempt(state)) return stop(state, state.lastDiagnosis);
      const target = retry.channel ?? nextChannel(state, channel, failoverAfter(state, wasNotSent));
      return { state: { ...state, pendingRetry: { atMs, channel: target } }, effects: [{ kind: 'wake_at', atMs }] };
    }
  }
}

function startAttempt(state: PaymentDecisionState, channel: string, nowMs: number, effects: PaymentEffect[]): Decision {
  assert(mayStartAttempt(state), 'a new attempt only when no earlier one may have moved money');
  const seq = state.attempts.length + 1;
  const timeoutMs = Math.max(1, state.replyByMs - nowMs);
  const attempts = [...state.attempts, { seq, channel, outcome: 'pending' as const }];
  return { state: { ...state, attempts, pendingRetry: null }, effects: [...effects, { kind: 'send', seq, channel, timeoutMs }] };
}

/** Ends the payment without approval: the client gets the last diagnosis (or the caller's). */
function stop(state: PaymentDecisionState, diagnosis: Diagnosis | null): Decision {
  const chosen = diagnosis ?? state.lastDiagnosis;
  assert(chosen !== null, 'a payment that stops without approval has a diagnosis');
  if (state.answer !== null) return { state: { ...state, finished: true }, effects: [] };
  const answer: ClientAnswer = { kind: 'declined', diagnosis: chosen };
  return { state: { ...state, answer, lastDiagnosis: chosen, finished: true, pendingRetry: null }, effects: [{ kind: 'reply', answer }] };
}

/** Answers 98 WAIT: the outcome is unknown and its reversal continues in the background. */
function answerWait(state: PaymentDecisionState, effects: PaymentEffect[]): Decision {
  const diagnosis = state.lastDiagnosis;
  assert(diagnosis !== null, 'an unknown outcome has a diagnosis');
  const answer: ClientAnswer = { kind: 'wait', diagnosis };
  return { state: { ...state, answer, pendingRetry: null, retryAfterReversalSeq: null, retryAfterReversal: false }, effects: [...effects, { kind: 'reply', answer }] };
}

function withOutcome(state: PaymentDecisionState, seq: number, outcome: AttemptState, diagnosis: Diagnosis): PaymentDecisionState {
  const attempts = state.attempts.map((attempt) => (attempt.seq === seq ? { ...attempt, outcome } : attempt));
  return { ...state, attempts, lastDiagnosis: diagnosis };
}

function expectPending(state: PaymentDecisionState, seq: number): DecisionAttempt | null {
  const attempt = state.attempts.find((candidate) => candidate.seq === seq);
  // A result for an attempt that is no longer pending (a duplicate or late event) changes nothing.
  if (attempt === undefined || attempt.outcome !== 'pending') return null;
  return attempt;
}

/** Is there time for one more useful attempt starting at `atMs`? */
function fits(state: PaymentDecisionState, atMs: number): boolean {
  return state.replyByMs - atMs >= state.attemptMinMs;
}

/** Not sent, or a channel-side decline (91, 92, 96 ...): the next channel. A card-side decline stays where it is. */
function failoverAfter(state: PaymentDecisionState, wasNotSent: boolean): boolean {
  if (wasNotSent) return failoverAllowed({ outcome: 'not_sent' });
  return state.lastDiagnosis !== null && failoverAllowed({ outcome: 'declined', diagnosis: state.lastDiagnosis });
}

/** With `failover` the next channel of the route (wrapping); otherwise the same channel. */
function nextChannel(state: PaymentDecisionState, current: string, failover: boolean): string {
  if (!failover || state.channels.length === 0) return current;
  const index = state.channels.indexOf(current);
  return state.channels[(index + 1) % state.channels.length] ?? current;
}

function assert(condition: boolean, invariant: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${invariant}`);
}
