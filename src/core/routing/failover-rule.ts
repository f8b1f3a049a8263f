// When may a payment move to the next channel? Only when the earlier attempt is known not to have
// moved money AND the fault is the channel's, not the card's. A card-side decline (51, 54, 14, 41 ...)
// would be the same answer on any channel, and sending it again elsewhere only adds to the card's
// decline count with the scheme.
import type { Diagnosis } from '../declines/diagnosis.ts';

/**
 * A decline caused by the path to the issuer rather than by the card: category `issuer_unavailable`
 * or `network` (91, 92, 98, 90, 06, 68 ...), or `format_system` blamed on the scheme or the channel (96).
 * A `format_system` decline blamed on the terminal (30, 22) is not: the request itself is wrong.
 */
export function isChannelSideDecline(diagnosis: Pick<Diagnosis, 'category' | 'party'>): boolean {
  switch (diagnosis.category) {
    case 'issuer_unavailable':
    case 'network':
      return true;
    case 'format_system':
      return diagnosis.party === 'scheme' || diagnosis.party === 'channel';
    default:
      return false;
  }
}

export type EarlierAttempt =
  | { readonly outcome: 'not_sent' }
  | { readonly outcome: 'declined'; readonly diagnosis: Pick<Diagnosis, 'category' | 'party'> }
  /** An unknown attempt; `reversalConfirmed` once its reversal was answered by the host. */
  | { readonly outcome: 'unknown'; readonly reversalConfirmed: boolean }
  | { readonly outcome: 'approved' };

/** True when the next attempt may go to another channel (the retry rules still decide whether there is one). */
export function failoverAllowed(earlier: EarlierAttempt): boolean {
  switch (earlier.outcome) {
    case 'not_sent':
      return true;
    case 'declined':
      return isChannelSideDecline(earlier.diagnosis);
    case 'unknown':
      return earlier.reversalConfirmed;
    case 'approved':
      return false;
  }
}
