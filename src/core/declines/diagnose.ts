// One call for "this attempt failed like this, with this card and this history: what now?" used by
// POST /v1/diagnose and available to the engine. It classifies the code or outcome, applies the
// Mastercard advice code that came with it, and checks the card's scheme budget for the next attempt;
// the returned diagnosis is the stricter of the decline's own verdict and the budget's.
import type { CardBrand, Language } from '../vocabulary.ts';
import type { Diagnosis, NonCodeOutcome } from './diagnosis.ts';
import type { CardAttemptHistoryEntry, RetryBudgetResult } from './retry-types.ts';
import { classifyResponseCode } from './classify-response-code.ts';
import { classifyOutcome } from './classify-outcome.ts';
import { checkRetryBudget, formatDuration } from './check-retry-budget.ts';
import { responseCodeTable } from './response-code-table.ts';
import { retryRules, selectEdition } from './retry-rules.ts';
import { cashierMessage, terminalVerdictText } from './terminal-text.ts';

export type DiagnoseInput = ({ code: string; outcome?: undefined } | { outcome: NonCodeOutcome; code?: undefined }) & {
  brand?: CardBrand;
  amountMinor?: number;
  merchantId?: string;
  mastercardAdviceCode?: string;
  /** The card's earlier upstream attempts (not including this one). */
  history?: readonly CardAttemptHistoryEntry[];
  nowMs: number;
  edition?: string;
};

export interface DiagnoseResult {
  diagnosis: Diagnosis;
  /** What the terminal is answered with: DE 39, DE 44 and DE 63 in both languages. */
  terminal: { de39: string; de44: string; de63: Record<Language, string> };
  scheme: { brand: CardBrand; visaCategory: number | null; visaEdition: string | null; mastercardAdviceCode: string | null } | null;
  /** Whether the card's scheme budget allows one more attempt after this one. */
  nextAttempt: RetryBudgetResult | null;
}

const verdictStrictness = { none: 0, now: 1, later: 2, wait: 3, fix: 4, never: 5 } as const;

function applyMastercardAdvice(d: Diagnosis, mac: string, nowMs: number, edition?: string): Diagnosis {
  const ed = selectEdition('mastercard', retryRules.mastercard, nowMs, edition !== undefined && retryRules.mastercard.some((e) => e.edition === edition) ? edition : undefined);
  if (d.verdict === 'none' || d.verdict === 'wait') return d;
  if (ed.neverAdviceCodes.includes(mac)) {
    return { ...d, verdict: 'never', waitSeconds: null, automaticRetry: false, reason: `Mastercard advice code ${mac}: do not try again` };
  }
  const wait = ed.adviceCodeWaitSeconds[mac];
  if (wait !== undefined && d.verdict !== 'never' && d.verdict !== 'fix') {
    return { ...d, verdict: 'later', waitSeconds: Math.max(wait, d.waitSeconds ?? 0), automaticRetry: false, reason: `Mastercard advice code ${mac}: retry after ${formatDuration(wait, 'en')}` };
  }
  return d;
}

/** Classifies a failed attempt in context and says whether and when the card may be tried again. */
export function diagnose(input: DiagnoseInput): DiagnoseResult {
  let diagnosis = input.code !== undefined ? classifyResponseCode(input.code) : classifyOutcome(input.outcome);
  if (input.brand === 'mastercard' && input.mastercardAdviceCode !== undefined) {
    diagnosis = applyMastercardAdvice(diagnosis, input.mastercardAdviceCode, input.nowMs, input.edition);
  }
  let nextAttempt: RetryBudgetResult | null = null;
  if (input.brand !== undefined) {
    const history: CardAttemptHistoryEntry[] = [...(input.history ?? [])];
    if (diagnosis.outcome === 'declined' && input.code !== undefined) {
      history.push({
        atMs: input.nowMs,
        responseCode: input.code,
        outcome: 'declined',
        brand: input.brand,
        merchantId: input.merchantId ?? '',
        amountMinor: input.amountMinor ?? 0,
        ...(input.mastercardAdviceCode === undefined ? {} : { mastercardAdviceCode: input.mastercardAdviceCode }),
      });
    }
    nextAttempt = checkRetryBudget({
      brand: input.brand,
      history,
      nowMs: input.nowMs,
      merchantId: input.merchantId ?? '',
      amountMinor: input.amountMinor ?? 0,
      ...(input.edition === undefined ? {} : { edition: input.edition }),
    });
    if (!nextAttempt.allowed && diagnosis.verdict !== 'wait' && diagnosis.verdict !== 'none') {
      const budget = nextAttempt.diagnosis;
      if (verdictStrictness[budget.verdict] > verdictStrictness[diagnosis.verdict]) {
        diagnosis = { ...diagnosis, verdict: budget.verdict, waitSeconds: budget.waitSeconds, automaticRetry: false, reason: budget.reason ?? 'retry budget used up', advice: budget.advice };
      } else if (budget.verdict === 'later' && diagnosis.verdict === 'later' && (budget.waitSeconds ?? 0) > (diagnosis.waitSeconds ?? 0)) {
        diagnosis = { ...diagnosis, waitSeconds: budget.waitSeconds, automaticRetry: false, reason: budget.reason ?? 'retry budget used up' };
      }
    }
  }
  let scheme: DiagnoseResult['scheme'] = null;
  if (input.brand !== undefined) {
    const visaEdition = input.brand === 'visa' ? selectEdition('visa', retryRules.visa, input.nowMs, input.edition !== undefined && retryRules.visa.some((e) => e.edition === input.edition) ? input.edition : undefined) : null;
    const entry = input.code === undefined ? undefined : responseCodeTable.byCode.get(input.code.toUpperCase());
    scheme = {
      brand: input.brand,
      visaCategory: visaEdition === null || input.code === undefined ? null : entry === undefined ? 4 : (entry.visaCategory[visaEdition.categoryList] ?? null),
      visaEdition: visaEdition?.edition ?? null,
      mastercardAdviceCode: input.mastercardAdviceCode ?? null,
    };
  }
  return {
    diagnosis,
    terminal: { de39: diagnosis.code, de44: terminalVerdictText(diagnosis), de63: { zh: cashierMessage(diagnosis, 'zh'), en: cashierMessage(diagnosis, 'en') } },
    scheme,
    nextAttempt,
  };
}
