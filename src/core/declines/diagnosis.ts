// The one result shape for every failed (or approved) attempt: the HTTP `decline` object,
// `reswipe explain --json`, and the terminal's DE 39 / DE 44 / DE 63 are all built from a Diagnosis.
import type { AttemptOutcome, BilingualText, CauseCategory, ResponsibleParty, RetryVerdict } from '../vocabulary.ts';

/** THE shared result shape (HTTP `decline`, explain --json, terminal DE 39/44/63). */
export interface Diagnosis {
  /** DE 39 to answer the terminal with ('51', '98', 'A0'; local checks use the standard code, e.g. '14', '54', '58', '61', '97'). */
  code: string;
  meaning: string;
  outcome: AttemptOutcome;
  category: CauseCategory;
  party: ResponsibleParty;
  verdict: RetryVerdict;
  waitSeconds: number | null;
  /** May the gateway itself retry (on the same or another channel)? */
  automaticRetry: boolean;
  advice: { cashier: BilingualText; customer: BilingualText };
  /** Exact reason for local declines, e.g. 'expiry 2401 is before 2611'. */
  reason?: string;
  /** The input field a local decline concerns ('card.expiry'). */
  field?: string;
}

/** Outcomes of an attempt that carry no response code from upstream. */
export const nonCodeOutcomes = ['not_sent', 'no_reply', 'late_reply', 'malformed_reply', 'bad_mac', 'reversed', 'reversal_failed'] as const;
export type NonCodeOutcome = (typeof nonCodeOutcomes)[number];
