// The durable QR follow-up (qr_follow_ups, migration 0021): a trade whose outcome stayed unknown when
// the client's budget ended, or that a crash left pending, is cancelled (撤销) in the background with
// bounded tries and backoff, like a card reversal; what still fails is handed to manual handling.
import type { QrCallResult, QrCancelResult } from '../ports/qr-channel.ts';

export interface QrFollowUpSettings {
  triesMax: number;
  backoffMs: number;
  backoffMsMax: number;
}

export type QrFollowUpStep =
  /** Confirmed: nothing is charged; the payment ends `reversed`. */
  | { kind: 'done' }
  /** Try the cancel again at `nextAtMs`. */
  | { kind: 'again'; nextAtMs: number; lastError: string }
  /** Out of tries: the payment is flagged for manual handling (it stays `pending`). */
  | { kind: 'dead'; lastError: string };

/** Exponential backoff from backoffMs, doubling per try, capped at backoffMsMax. */
export function followUpBackoffMs(settings: QrFollowUpSettings, tries: number): number {
  const exponent = Math.max(0, Math.min(tries - 1, 30));
  return Math.min(settings.backoffMsMax, settings.backoffMs * 2 ** exponent);
}

/** After one background cancel (`tries` counts it). */
export function decideQrFollowUp(settings: QrFollowUpSettings, tries: number, result: QrCancelResult, nowMs: number): QrFollowUpStep {
  if (result.kind === 'answer' && result.cancelled && !result.callAgain) return { kind: 'done' };
  const lastError = result.kind === 'answer' ? `cancel not confirmed (${result.providerCode ?? (result.callAgain ? 'call again' : 'refused')})` : `${result.kind}: ${result.reason}`;
  if (tries >= settings.triesMax) return { kind: 'dead', lastError };
  return { kind: 'again', nextAtMs: nowMs + followUpBackoffMs(settings, tries), lastError };
}

/**
 * A QR sale a crash left pending (its client was never told it was approved): one query first, since a
 * trade the provider refused or closed needs no cancel; anything else (paid included: the terminal gave
 * up on it and the cashier may take the money another way) is cancelled through the follow-up queue.
 */
export function decidePendingQrRecovery(query: QrCallResult): { kind: 'declined'; providerCode: string | null } | { kind: 'cancel' } {
  if (query.kind === 'answer' && (query.state === 'failed' || query.state === 'closed')) return { kind: 'declined', providerCode: query.providerCode };
  return { kind: 'cancel' };
}
