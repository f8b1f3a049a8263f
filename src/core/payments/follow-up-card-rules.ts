// A card presented with a follow-up (a 0220 refund advice, a void at the counter) must be the card of
// the original. The store keeps only the original's keyed fingerprint, and a follow-up's DE 2 went
// upstream unchecked, so a terminal could name a stranger's sale by its RRN and have it refunded to
// another card. Here every card number the request carries (DE 2, and the PAN part of DE 35) must have
// the original's fingerprint; a request with no card is allowed (the host finds the card by DE 90).
// After a PAN key rotation the original may have been fingerprinted under a retired key, so each
// presented card comes with its fingerprints under the current and every retired key, and matches
// when any of them is the original's. Pure: the fingerprints are computed by the caller.
import { allowed, refuse, type TxnRuleResult } from './txn-rule-result.ts';

export interface FollowUpCardRequest {
  /** Fingerprint of the original payment's card, as stored. */
  readonly originalFingerprint: string;
  /** Per card number the follow-up carries (none, one, or DE 2 and DE 35's): its fingerprints under the current and each retired key. */
  readonly presentedCards: ReadonlyArray<readonly string[]>;
}

export function decideFollowUpCard(request: FollowUpCardRequest): TxnRuleResult {
  for (const fingerprints of request.presentedCards) {
    if (!fingerprints.includes(request.originalFingerprint)) return refuse('RSW_TXN_CARD_MISMATCH');
  }
  return allowed;
}

/** The card number in track 2 data (before `=` or `D`), or null when there is none. */
export function panOfTrack2(track2: string): string | null {
  const pan = track2.split(/[=D]/)[0];
  return pan !== undefined && /^[0-9]{12,19}$/.test(pan) ? pan : null;
}
