// Inputs and results of the scheme retry budgets, and the shape of the gateway's own retry decision
// (made by src/core/payments/decide-recovery.ts).
import type { AttemptOutcome, CardBrand } from '../vocabulary.ts';
import type { Diagnosis } from './diagnosis.ts';

/** One earlier attempt on the same card (by fingerprint), automatic or cashier-initiated. */
export interface CardAttemptHistoryEntry {
  atMs: number;
  responseCode: string | null;
  outcome: AttemptOutcome;
  brand: CardBrand;
  merchantId: string;
  amountMinor: number;
  mastercardAdviceCode?: string;
}

export interface RetryBudgetInput {
  brand: CardBrand;
  history: readonly CardAttemptHistoryEntry[];
  nowMs: number;
  /** Rule edition, YYYY-MM ('2021-04', '2024-04', '2026-04' for Visa; '2022-01' for Mastercard); default: the edition in force at nowMs. */
  edition?: string;
  merchantId: string;
  amountMinor: number;
}

export type RetryBudgetResult = { allowed: true } | { allowed: false; diagnosis: Diagnosis; untilMs: number | null };

/** `channel`: where the retry goes, when the recovery policy chose it (src/core/payments/decide-recovery.ts). */
export type RetryDecision =
  | { action: 'retry_now'; channel?: string }
  | { action: 'retry_after'; waitMs: number; channel?: string }
  | { action: 'stop'; reason: string };
