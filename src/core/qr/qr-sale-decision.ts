// The pure rules of one QR sale (付款码): after each answer of the provider, what to do next. The use
// case in src/app/qr-payments/ performs the action, stores the result, and asks again. Time is an input.
//
// Money safety, the QR way (docs/qr-payments.md):
// - `pay` is sent again only when every earlier pay provably never left (`not_sent`), at most
//   `notSentPaysMax` times in all; after any pay that may have arrived, the trade is only ever
//   queried and cancelled, never paid a second time;
// - once a cancel (撤销) is sent, the sale can no longer be approved: only a confirmed cancel
//   (nothing charged) or the durable follow-up (charged unknown, cancelled in the background);
// - every loop is bounded by the caller's budget (the terminal's or the HTTP client's deadline) and
//   by counts; what is still unknown at the end goes to the durable follow-up queue.
import type { QrCallResult, QrCancelResult, QrTradeState } from '../ports/qr-channel.ts';

export interface QrSaleSettings {
  /** Waits before each query while the customer is paying: 2 s, 3 s, 5 s, then the last one repeats. */
  queryDelaysMs: readonly number[];
  /** One provider call's timeout (the channel's timeoutMs). */
  callTimeoutMs: number;
  /** Time kept back at the end of the budget for the cancel and the answer. */
  cancelReserveMs: number;
  /** Queries per sale, whatever the budget. */
  queriesMax: number;
  /** Cancels per sale while the client waits (a `callAgain` repeats it); the rest is the follow-up queue's. */
  cancelsMax: number;
  /** Wait before repeating a cancel the provider asked to repeat. */
  cancelAgainDelayMs: number;
  /** Pays in all, counting only those that were provably not sent. */
  notSentPaysMax: number;
}

export const defaultQrSaleSettings: QrSaleSettings = Object.freeze({
  queryDelaysMs: Object.freeze([2000, 3000, 5000]),
  callTimeoutMs: 10_000,
  cancelReserveMs: 12_000,
  queriesMax: 30,
  cancelsMax: 3,
  cancelAgainDelayMs: 1000,
  notSentPaysMax: 2,
});

/** Where the sale stands; the use case keeps it in memory while the client waits (the store keeps the intent). */
export interface QrSaleProgress {
  /** Pays sent so far, and how many of them were not sent. */
  paysSent: number;
  paysNotSent: number;
  queriesSent: number;
  cancelsSent: number;
  /** True from the first cancel on: nothing after it may approve the sale. */
  cancelling: boolean;
  /** The client's budget ends here (its deadline minus the answer margin). */
  budgetEndMs: number;
}

export function initialQrSaleProgress(budgetEndMs: number): QrSaleProgress {
  return { paysSent: 0, paysNotSent: 0, queriesSent: 0, cancelsSent: 0, cancelling: false, budgetEndMs };
}

/** What the provider said, reduced to what the decision needs. */
export type QrObservation =
  | { call: 'pay' | 'query'; result: QrCallResult }
  | { call: 'cancel'; result: QrCancelResult };

export type QrNextAction =
  | { kind: 'pay' }
  | { kind: 'query'; afterMs: number }
  | { kind: 'cancel'; afterMs: number }
  /** The provider says paid: the sale is approved. */
  | { kind: 'approve' }
  /** A definite refusal or a closed trade: nothing charged. `providerCode` explains it. */
  | { kind: 'decline'; providerCode: string | null; state: QrTradeState | 'not_sent' }
  /** The cancel is confirmed: nothing charged (the card `reversed`). */
  | { kind: 'cancelled' }
  /** Still unknown when the budget or the cancels ran out: the client is told WAIT, the durable queue cancels it. */
  | { kind: 'follow_up'; reason: string };

/** The first action of a sale: one pay. */
export function firstQrAction(): QrNextAction {
  return { kind: 'pay' };
}

/** The wait before the n-th query (0-based): the schedule, its last entry repeating. */
export function queryDelayMs(settings: QrSaleSettings, queriesSent: number): number {
  const delays = settings.queryDelaysMs;
  return delays[Math.min(queriesSent, delays.length - 1)] ?? 0;
}

/** True when one more query (after its delay, within its timeout) still leaves the cancel reserve before the budget ends. */
export function fitsAnotherQuery(settings: QrSaleSettings, progress: QrSaleProgress, nowMs: number, delayMs: number): boolean {
  if (progress.queriesSent >= settings.queriesMax) return false;
  return nowMs + delayMs + settings.callTimeoutMs + settings.cancelReserveMs <= progress.budgetEndMs;
}

/** The progress after an action is sent (count it before performing it, so a crash never under-counts). */
export function recordQrAction(progress: QrSaleProgress, action: QrNextAction): QrSaleProgress {
  switch (action.kind) {
    case 'pay':
      return { ...progress, paysSent: progress.paysSent + 1 };
    case 'query':
      return { ...progress, queriesSent: progress.queriesSent + 1 };
    case 'cancel':
      return { ...progress, cancelsSent: progress.cancelsSent + 1, cancelling: true };
    default:
      return progress;
  }
}

/** The progress after an answer: a pay that was not sent is counted as such (the only pay that may be repeated). */
export function recordQrObservation(progress: QrSaleProgress, observation: QrObservation): QrSaleProgress {
  if (observation.call === 'pay' && observation.result.kind === 'not_sent') return { ...progress, paysNotSent: progress.paysNotSent + 1 };
  return progress;
}

/**
 * The next action after an observation. `progress` already counts the call that was answered
 * (recordQrAction before the call) but not yet the answer (recordQrObservation after). Pure: the same inputs give the same action.
 */
export function decideQrNext(settings: QrSaleSettings, progress: QrSaleProgress, observation: QrObservation, nowMs: number): QrNextAction {
  if (observation.call === 'cancel') return afterCancel(settings, progress, observation.result, nowMs);
  if (progress.cancelling) {
    // A late pay or query answer after the cancel went out changes nothing: the cancel decides.
    return { kind: 'follow_up', reason: 'a cancel was sent; only its confirmation can finish the sale' };
  }
  const result = observation.result;
  if (observation.call === 'pay' && result.kind === 'not_sent') {
    const notSent = progress.paysNotSent + 1;
    // Every pay so far was not sent: nothing can have arrived, so one more pay is safe.
    if (notSent === progress.paysSent && progress.paysSent < settings.notSentPaysMax && nowMs + settings.callTimeoutMs + settings.cancelReserveMs <= progress.budgetEndMs) {
      return { kind: 'pay' };
    }
    if (notSent === progress.paysSent) return { kind: 'decline', providerCode: null, state: 'not_sent' };
    return queryOrCancel(settings, progress, nowMs, 0);
  }
  if (result.kind !== 'answer') return queryOrCancel(settings, progress, nowMs, 0);
  switch (result.state) {
    case 'paid':
      return { kind: 'approve' };
    case 'refunded':
      // Paid, and already refunded in part or whole (by someone else): the sale itself was paid.
      return { kind: 'approve' };
    case 'failed':
    case 'closed':
      return { kind: 'decline', providerCode: result.providerCode, state: result.state };
    case 'paying':
      return queryOrCancel(settings, progress, nowMs, queryDelayMs(settings, progress.queriesSent));
    case 'not_found':
    case 'unknown':
      return queryOrCancel(settings, progress, nowMs, Math.min(queryDelayMs(settings, 0), queryDelayMs(settings, progress.queriesSent)));
  }
}

function queryOrCancel(settings: QrSaleSettings, progress: QrSaleProgress, nowMs: number, delayMs: number): QrNextAction {
  if (fitsAnotherQuery(settings, progress, nowMs, delayMs)) return { kind: 'query', afterMs: delayMs };
  return { kind: 'cancel', afterMs: 0 };
}

function afterCancel(settings: QrSaleSettings, progress: QrSaleProgress, result: QrCancelResult, nowMs: number): QrNextAction {
  if (result.kind === 'answer' && result.cancelled && !result.callAgain) return { kind: 'cancelled' };
  const refusedForGood = result.kind === 'answer' && !result.cancelled && !result.callAgain;
  if (refusedForGood) return { kind: 'follow_up', reason: `the provider refused the cancel (${result.providerCode ?? 'no code'})` };
  const delayMs = result.kind === 'answer' ? settings.cancelAgainDelayMs : 0;
  if (progress.cancelsSent < settings.cancelsMax && nowMs + delayMs + settings.callTimeoutMs <= progress.budgetEndMs) return { kind: 'cancel', afterMs: delayMs };
  return { kind: 'follow_up', reason: 'the cancel is not confirmed within the budget' };
}
