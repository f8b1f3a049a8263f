// DE 39 of a reversal the sale use cases queue: one of the reasons a 0400 may carry, else `fallback`.
import type { ReversalReasonCode } from '../reversals/reversal-worker.ts';

export function reversalReasonOf(code: string, fallback: ReversalReasonCode): ReversalReasonCode {
  return code === '98' || code === '96' || code === 'A0' || code === '06' ? code : fallback;
}
