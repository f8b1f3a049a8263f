import type { RetryBudgetInput, RetryBudgetResult } from './retry-types.ts';
/** Scheme retry budget per card fingerprint. */
export function checkRetryBudget(input: RetryBudgetInput): RetryBudgetResult { throw new Error('checkRetryBudget: not implemented yet ' + input.brand); }
