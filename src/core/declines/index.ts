// Decline intelligence: the public face of src/core/declines and the card lookups it uses.
// Everything here is pure; data files are imported as JSON and validated when first loaded.
export type { Diagnosis, NonCodeOutcome } from './diagnosis.ts';
export { nonCodeOutcomes } from './diagnosis.ts';
export type { CardInfo, BinEntry, BinTable } from '../cards/card-info.ts';
export type { Limits, LocalCheckInput, LocalCheckResult } from './local-check-types.ts';
export type { CardAttemptHistoryEntry, RetryBudgetInput, RetryBudgetResult, RetryDecision } from './retry-types.ts';
export { classifyResponseCode, approvedDiagnosis, unknownCodeDiagnosis, diagnosisFromEntry } from './classify-response-code.ts';
export { classifyOutcome, nonCodeOutcomeMeaningZh, storeBusyNotSentDiagnosis, storeBusyWaitSeconds, unknownOutcomeWaitSeconds } from './classify-outcome.ts';
export { lookupCard } from '../cards/lookup-card.ts';
export { defaultBinTable, parseBinTable, findBinEntry, type IndexedBinTable } from '../cards/bin-table.ts';
export { brandFromPrefix, brandRules, isLuhnValid, luhnCheckDigit } from '../cards/card-brands.ts';
export { runLocalChecks, currentYymm, defaultTimeZone, unionPayQrCardInfo } from './run-local-checks.ts';
export { localDecline, formatYuan } from './local-decline.ts';
export { checkRetryBudget, formatDuration } from './check-retry-budget.ts';
export { terminalVerdictText, cashierMessage, cashierMessageWithNote, cashierMessageBytesMax, truncateUtf8 } from './terminal-text.ts';
export { responseCodeTable, parseResponseCodeTable, responseCodePattern, type ResponseCodeEntry, type ResponseCodeTable, type CupsClass } from './response-code-table.ts';
export { retryRules, parseRetryRules, selectEdition, type RetryRules } from './retry-rules.ts';
export { symptomGuide, parseSymptomGuide, findSymptom, type Symptom, type SymptomGuide } from './symptoms.ts';
export { diagnose, type DiagnoseInput, type DiagnoseResult } from './diagnose.ts';
export { explainEntry, formatCodeExplanation, formatSymptom, type CodeExplanation } from './explain-text.ts';
