// The re-swipe guard's load step: an earlier payment of the same card, amount and terminal (or merchant)
// inside the guard window that may still have moved money. The rule itself is pure (reswipe-guard.ts).
import { isReswipeTwin, isUnsettledTwin, reswipeCandidatesMax } from '../../core/payments/reswipe-guard.ts';
import type { SaleRequest } from '../../core/ports/payments.ts';
import type { PaymentKind, ReswipeCandidate } from '../../core/ports/store.ts';
import { reversalIdFor } from '../reversals/reversal-worker.ts';
import type { SaleServices } from './sale-deps.ts';

/** The id of the unsettled twin of this sale, or null (always null when the guard window is 0 or absent). */
export async function findUnsettledTwin(
  deps: Pick<SaleServices, 'store' | 'settings'>,
  cardFingerprints: readonly string[],
  request: SaleRequest,
  kind: PaymentKind,
  nowMs: number,
): Promise<string | null> {
  const windowMs = deps.settings.reswipeGuardWindowMs ?? 0;
  if (windowMs <= 0) return null;
  const sale = { panFingerprint: cardFingerprints[0] ?? '', merchantId: request.merchantId, terminalId: request.terminalId, amountMinor: request.amountMinor, currency: request.currency, kind };
  const candidates: ReswipeCandidate[] = [];
  for (const panFingerprint of cardFingerprints) candidates.push(...(await deps.store.findReswipeCandidates({ ...sale, panFingerprint }, nowMs - windowMs, reswipeCandidatesMax)));
  for (const candidate of candidates) {
    if (!isReswipeTwin(candidate, sale)) continue;
    const attempts = await deps.store.listAttempts(candidate.id);
    const withReversals = [];
    for (const attempt of attempts) {
      const reversal = attempt.outcome === 'approved' ? await deps.store.getReversal(reversalIdFor(attempt.id)) : null;
      withReversals.push({ outcome: attempt.outcome, reversalPending: reversal?.state === 'pending' });
    }
    if (isUnsettledTwin({ payment: candidate, attempts: withReversals })) return candidate.id;
  }
  return null;
}
