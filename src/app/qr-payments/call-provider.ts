// One call to a QR provider through its channel port. An adapter that throws broke its contract, and
// whatever it was doing may have reached the provider, so the call counts as sent without an answer
// (an unknown outcome: queried or cancelled, never simply repeated as a new order).
import type { QrCallResult, QrCancelResult, QrRefundResult } from '../../core/ports/qr-channel.ts';
import type { Clock } from '../../core/time/clock.ts';

type NoAnswer = Extract<QrCallResult, { kind: 'no_answer' }>;

export async function callProvider<T extends QrCallResult | QrCancelResult | QrRefundResult>(clock: Clock, call: () => Promise<T>): Promise<T | NoAnswer> {
  try {
    return await call();
  } catch (error) {
    return { kind: 'no_answer', reason: 'connection_lost', detail: error instanceof Error ? error.message : 'the channel threw', sentAtMs: clock.nowMs() };
  }
}
