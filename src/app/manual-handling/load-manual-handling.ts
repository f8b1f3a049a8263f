// Reads what a manual-handling decision and view need about one payment: the payment, its attempts
// paired with their reversals, its resolution, and the settlement batch of its business day.
import { businessDateOf, defaultCutoff } from '../../core/fees/business-date.ts';
import type { ManualHandlingFacts } from '../../core/payments/manual-handling-decision.ts';
import { toManualHandlingView, type ManualHandlingView } from '../../core/payments/manual-handling-view.ts';
import type { AttemptRecord, ManualResolutionRecord, PaymentRecord, ReversalRecord, StoreReader, StoreTx } from '../../core/ports/store.ts';
import { reversalIdFor } from '../reversals/reversal-worker.ts';

/** Where a payment's business day is cut (fees.settlementTimeZone and the daily cut-off). */
export interface SettlementDay {
  timeZone: string;
  cutoff?: string | undefined;
}

export interface LoadedManualHandling {
  payment: PaymentRecord;
  attempts: AttemptRecord[];
  reversals: Array<{ attempt: AttemptRecord; reversal: ReversalRecord }>;
  resolution: ManualResolutionRecord | null;
}

/** Loads one payment with its reversals and resolution; null when it does not exist. */
export async function loadManualHandling(reader: StoreReader, paymentId: string): Promise<LoadedManualHandling | null> {
  const payment = await reader.getPayment(paymentId);
  return payment === null ? null : loadRest(reader, payment);
}

/** The same inside a write, with the payment locked first: two actions on one payment (two operators, two nodes) run one after the other. */
export async function loadManualHandlingForUpdate(tx: StoreTx, paymentId: string): Promise<LoadedManualHandling | null> {
  const payment = await tx.lockPaymentForUpdate(paymentId);
  return payment === null ? null : loadRest(tx, payment);
}

async function loadRest(reader: StoreReader, payment: PaymentRecord): Promise<LoadedManualHandling> {
  const attempts = await reader.listAttempts(payment.id);
  const reversals: LoadedManualHandling['reversals'] = [];
  for (const attempt of attempts) {
    const reversal = await reader.getReversal(reversalIdFor(attempt.id));
    if (reversal !== null) reversals.push({ attempt, reversal });
  }
  return { payment, attempts, reversals, resolution: await reader.getManualResolution(payment.id) };
}

/** The business date whose settlement batch holds the payment's money (the same rule its fee line follows). */
export function businessDateOfPayment(payment: PaymentRecord, day: SettlementDay): string {
  return businessDateOf(payment.createdAtMs, day.timeZone, day.cutoff ?? defaultCutoff);
}

/** The facts of decideManualHandling, with the state of the payment's settlement batch. */
export async function manualHandlingFactsOf(reader: StoreReader, loaded: LoadedManualHandling, day: SettlementDay): Promise<ManualHandlingFacts> {
  const businessDate = businessDateOfPayment(loaded.payment, day);
  const batch = await reader.getSettlementBatch(loaded.payment.merchantId, businessDate);
  return {
    payment: { id: loaded.payment.id, kind: loaded.payment.kind, status: loaded.payment.status, flagged: (loaded.payment.manualHandlingSinceMs ?? null) !== null },
    attempts: loaded.attempts.map((attempt) => {
      const reversal = loaded.reversals.find((pair) => pair.attempt.id === attempt.id)?.reversal ?? null;
      return { seq: attempt.seq, outcome: attempt.outcome, reversal: reversal === null ? null : { id: reversal.id, state: reversal.state } };
    }),
    resolution: loaded.resolution === null ? null : { outcome: loaded.resolution.outcome },
    batch: batch === null ? null : { businessDate, state: batch.state },
  };
}

/** The operators' view of a loaded payment. */
export function viewOfLoaded(loaded: LoadedManualHandling): ManualHandlingView {
  return toManualHandlingView(loaded.payment, loaded.reversals, loaded.resolution);
}

/** The view of one payment that was flagged (open or resolved); null when it does not exist or was never flagged. */
export async function getManualHandling(reader: StoreReader, paymentId: string): Promise<ManualHandlingView | null> {
  const loaded = await loadManualHandling(reader, paymentId);
  if (loaded === null || (loaded.payment.manualHandlingSinceMs ?? null) === null) return null;
  return viewOfLoaded(loaded);
}

/** The operators' work list: open flagged payments, most recently flagged first, with their reversals. */
export async function listManualHandling(reader: StoreReader, limit: number): Promise<ManualHandlingView[]> {
  const views: ManualHandlingView[] = [];
  for (const payment of await reader.listManualHandlingPayments(limit)) {
    const loaded = await loadManualHandling(reader, payment.id);
    if (loaded !== null) views.push(viewOfLoaded(loaded));
  }
  return views;
}
