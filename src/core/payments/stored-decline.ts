// A diagnosis as a payment row keeps it: the code, what it means for whom, and the advice shown again
// on a replay or a lookup. The table gives the rest back (diagnosisOfStoredAnswer in sale-answer.ts).
import type { Diagnosis } from '../declines/index.ts';
import type { StoredDecline } from '../ports/store.ts';

export function toStoredDecline(diagnosis: Diagnosis): StoredDecline {
  return {
    code: diagnosis.code,
    category: diagnosis.category,
    party: diagnosis.party,
    verdict: diagnosis.verdict,
    waitSeconds: diagnosis.waitSeconds,
    advice: { cashier: { ...diagnosis.advice.cashier }, customer: { ...diagnosis.advice.customer } },
  };
}
