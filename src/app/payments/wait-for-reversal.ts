// The perform step of a wake-up effect: sleep until a retry time, or wait (until the reply deadline) for
// the reversal of an unknown attempt to settle, then ask the recovery policy again with the channels
// healthy now. The answer is the state machine's next event.
import { classifyOutcome } from '../../core/declines/index.ts';
import type { PaymentDecisionState, PaymentEvent } from '../../core/payments/payment-decision.ts';
import { decideSaleRecovery } from '../../core/payments/sale-event.ts';
import { channelOrder } from './channel-order.ts';
import type { SaleContext } from './sale-context.ts';
import type { SaleDeps } from './sale-deps.ts';
import type { Settled } from './settlement-waiters.ts';

/** How often a sale waiting for a reversal re-reads it from the store, and the bound on those reads. */
const settlementPollMs = 250;
const settlementPollsMax = 10_000;

export async function waitForReversalOrTime(deps: SaleDeps, context: SaleContext, state: PaymentDecisionState, atMs: number): Promise<PaymentEvent> {
  const { clock } = deps;
  const seq = state.retryAfterReversalSeq;
  const attempt = seq === null ? undefined : context.attempts.get(seq);
  const reversal = seq === null ? undefined : context.reversals.get(seq);
  if (seq === null || attempt === undefined || reversal === undefined) {
    await deps.sleep(atMs - clock.nowMs());
    return { type: 'timer', nowMs: Math.max(clock.nowMs(), atMs) };
  }
  const settled = deps.settlementWaiters.listen(attempt.id);
  try {
    // The in-process notification is the fast path; the store is polled too, because the worker may
    // have settled it before we listened, or a worker on another gateway node may settle it.
    let outcome: Settled | null = null;
    for (let round = 0; round < settlementPollsMax && outcome === null; round++) {
      // A failed read is "not settled yet": the sale keeps waiting for the notification or the deadline.
      const stored = await deps.store.getReversal(reversal.id).catch(() => null);
      outcome = stored?.state === 'done' ? { result: 'reversed' } : stored?.state === 'dead' ? { result: 'dead' } : null;
      const leftMs = atMs - clock.nowMs();
      if (outcome !== null || leftMs <= 0) break;
      outcome = await Promise.race([settled, deps.sleep(Math.min(settlementPollMs, leftMs)).then(() => null)]);
    }
    const nowMs = clock.nowMs();
    if (outcome === null) return { type: 'timer', nowMs: Math.max(nowMs, atMs) };
    if (outcome.result === 'dead') return { type: 'reversal_settled', nowMs, seq, result: 'dead', diagnosis: classifyOutcome('reversal_failed') };
    context.attempts.set(seq, { ...attempt, outcome: 'reversed' });
    const diagnosis = classifyOutcome('reversed');
    // Confirmed: no money moved, so a new attempt (new STAN) is safe; the policy picks a channel healthy now.
    const healthyNow = channelOrder(deps, context.routeInput);
    const retry = decideSaleRecovery(context.recovery, { kind: 'unknown_reversed', diagnosis }, { failedChannel: attempt.channel, attemptsSoFar: state.attempts.length, nowMs, healthyNow });
    return { type: 'reversal_settled', nowMs, seq, result: 'reversed', diagnosis, retry };
  } finally {
    deps.settlementWaiters.stop(attempt.id);
  }
}
