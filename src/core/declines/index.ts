// Decline intelligence: the public face of src/core/declines and the card lookups it uses.
// Everything here is pure; data files are imported as JSON and validated when first loaded.
export type { Diagnosis, NonCodeOutcome } from './diagnosis.ts';
export { nonCodeOutcomes } from './diagnosis.ts';
export type { CardInfo, BinEntry, BinTable } from '../cards/card-info.ts';
export type { Limits, LocalCheckInput, LocalCheckResult } from './local-check-types.ts';
export type { CardAttemptHistoryEntry, RetryBudgetInput, RetryBudgetResult, DecideRetryInput, RetryDecision } from './retry-types.ts';
export { classifyResponseCode, approvedDiagnosis } from './classify-response-code.ts';
export { classifyOutcome } from './classify-outcome.ts';
export { lookupCard } from '../cards/lookup-card.ts';
export { runLocalChecks } from './run-local-checks.ts';
export { checkRetryBudget } from './check-retry-budget.ts';
export { decideRetry } from './decide-retry.ts';
export { terminalVerdictText, cashierMessage } from './terminal-text.ts';
