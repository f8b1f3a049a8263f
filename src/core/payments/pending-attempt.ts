// An upstream attempt as it is stored before a byte of it goes upstream: pending, with its own STAN and
// DE 7, no answer yet. Sales (sale-record.ts) and follow-ups (follow-up-pipeline.ts) both write this shape.
import type { AttemptRecord } from '../ports/store.ts';
import { transmissionDateTime } from './upstream-fields.ts';

export function pendingAttempt(input: Pick<AttemptRecord, 'id' | 'paymentId' | 'seq' | 'channel' | 'mti' | 'stan' | 'processingCode' | 'upstreamTerminalId'>, atMs: number): AttemptRecord {
  // Fields named one by one rather than spread: one object of one shape per sale, built without V8's
  // generic copy of the input (every caller passes exactly these eight fields).
  return {
    id: input.id,
    paymentId: input.paymentId,
    seq: input.seq,
    channel: input.channel,
    mti: input.mti,
    stan: input.stan,
    processingCode: input.processingCode,
    upstreamTerminalId: input.upstreamTerminalId,
    transmittedAt: transmissionDateTime(atMs),
    outcome: 'pending',
    responseCode: null,
    authCode: null,
    rrn: null,
    latencyMs: null,
    sentAtMs: null,
    completedAtMs: null,
    createdAtMs: atMs,
  };
}
