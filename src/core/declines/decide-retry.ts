import type { DecideRetryInput, RetryDecision } from './retry-types.ts';
/** Whether the gateway itself retries. */
export function decideRetry(input: DecideRetryInput): RetryDecision { throw new Error('decideRetry: not implemented yet ' + input.attemptsSoFar); }
