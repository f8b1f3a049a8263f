// Builds the Diagnosis of a decline reswipe makes itself: the standard code's catalogue row,
// sharpened with the exact reason, the field concerned and advice for this case.
import type { BilingualText, CauseCategory, ResponsibleParty, RetryVerdict } from '../vocabulary.ts';
import type { Diagnosis } from './diagnosis.ts';
import { classifyResponseCode } from './classify-response-code.ts';

export interface LocalDeclineDetails {
  reason: string;
  field?: string;
  category?: CauseCategory;
  party?: ResponsibleParty;
  verdict?: RetryVerdict;
  waitSeconds?: number | null;
  cashier?: BilingualText;
  customer?: BilingualText;
  meaning?: string;
}

/** A decline decided inside reswipe: nothing went upstream, no money moved, never retried automatically. */
export function localDecline(code: string, details: LocalDeclineDetails): Diagnosis {
  const base = classifyResponseCode(code);
  const verdict = details.verdict ?? base.verdict;
  const diagnosis: Diagnosis = {
    ...base,
    meaning: details.meaning ?? base.meaning,
    outcome: 'declined',
    category: details.category ?? base.category,
    party: details.party ?? base.party,
    verdict,
    waitSeconds: verdict === 'later' ? (details.waitSeconds ?? base.waitSeconds) : null,
    automaticRetry: false,
    advice: { cashier: details.cashier ?? base.advice.cashier, customer: details.customer ?? base.advice.customer },
    reason: details.reason,
  };
  if (details.field !== undefined) diagnosis.field = details.field;
  return diagnosis;
}

/** Fen as a yuan string for reasons and advice ('12345' → '123.45'); integer arithmetic only. */
export function formatYuan(amountMinor: number): string {
  const sign = amountMinor < 0 ? '-' : '';
  const abs = Math.abs(amountMinor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
