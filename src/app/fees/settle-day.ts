// Settlement against the store: load one merchant's payments for a business day and the fee lines
// dated that day, let the pure core build and reconcile the batch, and persist it. Statements are
// built from the stored batch and the payments as they are now, and refused when the two disagree.
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import { businessDayWindow, defaultCutoff } from '../../core/fees/business-date.ts';
import type { SettleMode } from '../../core/fees/fee-plan.ts';
import type { HolidayCalendar } from '../../core/fees/holiday-calendar.ts';
import { payoutDate } from '../../core/fees/payout-date.ts';
import { buildSettlementBatch, reconcileBatch, settlementBatchId, type Reconciliation, type StatementLine } from '../../core/fees/settlement-batch.ts';
import { writeStatementCsv } from '../../core/fees/statement-csv.ts';
import type { PaymentRecord, SettlementBatchRecord, Store, StoreReader } from '../../core/ports/store.ts';

export interface SettlementSettings {
  readonly timeZone: string;
  readonly cutoff?: string | undefined;
  readonly settleMode: SettleMode;
  readonly calendar: HolidayCalendar;
}

/** Pages of 500 (the store's page bound); at most this many pages per merchant and period. */
export const paymentPagesMax = 2_000;
const pageRows = 500;

/** Every payment of a merchant created in [fromMs, toMs), oldest first. */
export async function listMerchantPayments(reader: StoreReader, merchantId: string, fromMs: number, toMs: number): Promise<PaymentRecord[]> {
  const payments: PaymentRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < paymentPagesMax; page += 1) {
    const result = await reader.listPayments({ limit: pageRows, merchantId, fromMs, toMs, ...(cursor === undefined ? {} : { cursor }) });
    payments.push(...result.data);
    if (result.nextCursor === null) return payments.reverse();
    cursor = result.nextCursor;
  }
  throw new ReswipeError('RSW_FEE_TOO_MANY_ROWS', { what: `payments of ${merchantId}`, limit: paymentPagesMax * pageRows });
}

export interface DaySettlement {
  readonly batch: SettlementBatchRecord;
  readonly lines: readonly StatementLine[];
  readonly reconciliation: Reconciliation;
}

async function loadDay(reader: StoreReader, merchantId: string, businessDate: string, settings: { readonly timeZone: string; readonly cutoff?: string | undefined }) {
  const window = businessDayWindow(businessDate, settings.timeZone, settings.cutoff ?? defaultCutoff);
  const payments = await listMerchantPayments(reader, merchantId, window.fromMs, window.toMs);
  const feeLines = await reader.listFeeLines({ merchantId, fromDate: businessDate, toDate: businessDate });
  return { payments, feeLines };
}

/** Builds, reconciles and stores one merchant's batch for a business date. A paid batch is never rebuilt. */
export async function settleMerchantDay(store: Store, merchantId: string, businessDate: string, settings: SettlementSettings, nowMs: number): Promise<DaySettlement> {
  const stored = await store.getSettlementBatch(merchantId, businessDate);
  if (stored?.state === 'paid') throw new ReswipeError('RSW_FEE_BATCH_PAID', { merchantId, businessDate });
  const { payments, feeLines } = await loadDay(store, merchantId, businessDate, settings);
  const payout = payoutDate(businessDate, settings.settleMode, settings.calendar);
  // Reconciliation adjustments (docs/reconciliation.md) are assigned to the batch in the same write
  // that stores it: those it already carries and those on no batch yet dated up to its business date.
  return store.write(async (tx) => {
    const again = await tx.getSettlementBatch(merchantId, businessDate);
    if (again?.state === 'paid') throw new ReswipeError('RSW_FEE_BATCH_PAID', { merchantId, businessDate });
    // A batch whose net amount is in a payout instruction (pending, sent or paid) must not change under it (docs/payouts.md).
    const live = again === null ? undefined : (await tx.listPayouts({ batchId: again.id })).find((payout) => payout.state !== 'failed');
    if (live !== undefined) throw new ReswipeError('RSW_PAYOUT_BATCH_IN_PAYOUT', { merchantId, businessDate, payoutId: live.id, state: live.state });
    const adjustments = await tx.assignSettlementAdjustments(merchantId, businessDate, settlementBatchId(merchantId, businessDate));
    const { batch, lines } = buildSettlementBatch(merchantId, businessDate, payments, feeLines, { settleMode: settings.settleMode, payoutDate: payout, createdAtMs: nowMs, adjustments });
    const reconciliation = reconcileBatch(batch, payments, feeLines, adjustments);
    await tx.upsertSettlementBatch(batch);
    return { batch, lines, reconciliation };
  });
}

/**
 * Settles a business date for one merchant, or for every merchant when none is named (in id order).
 * Run for every merchant, a batch that is final (paid, or in a live payout: docs/payouts.md) is kept
 * as it is and reported to `onKept`, so re-running a day after its payouts settles the other merchants;
 * a named merchant's final batch is an error.
 */
export async function settleDay(
  store: Store,
  businessDate: string,
  settings: SettlementSettings,
  nowMs: number,
  merchantId?: string,
  onKept?: (merchantId: string, reason: ReswipeError) => void,
): Promise<DaySettlement[]> {
  const merchantIds = merchantId === undefined ? (await store.listMerchants()).map((merchant) => merchant.id) : [merchantId];
  const results: DaySettlement[] = [];
  for (const id of merchantIds) {
    try {
      results.push(await settleMerchantDay(store, id, businessDate, settings, nowMs));
    } catch (error) {
      const isFinal = isReswipeError(error, 'RSW_FEE_BATCH_PAID') || isReswipeError(error, 'RSW_PAYOUT_BATCH_IN_PAYOUT');
      if (merchantId !== undefined || !isFinal) throw error;
      onKept?.(id, error);
    }
  }
  return results;
}

/** The 对账单 CSV of a stored batch; refused when the batch no longer matches its payments. */
export async function exportStatement(reader: StoreReader, merchantId: string, businessDate: string, settings: Omit<SettlementSettings, 'settleMode' | 'calendar'>): Promise<string> {
  const { batch, lines } = await loadStatement(reader, merchantId, businessDate, settings);
  return writeStatementCsv(batch, lines);
}

/**
 * A stored batch and its statement lines rebuilt from the payments as they are now, refused
 * (RSW_FEE_BATCH_MISMATCH) when the two disagree: the one source of every statement layout.
 */
export async function loadStatement(reader: StoreReader, merchantId: string, businessDate: string, settings: Omit<SettlementSettings, 'settleMode' | 'calendar'>): Promise<{ batch: SettlementBatchRecord; lines: readonly StatementLine[] }> {
  const batch = await reader.getSettlementBatch(merchantId, businessDate);
  if (batch === null) throw new ReswipeError('RSW_FEE_BATCH_NOT_FOUND', { merchantId, businessDate });
  const { payments, feeLines } = await loadDay(reader, merchantId, businessDate, settings);
  const adjustments = await reader.listSettlementAdjustments({ batchId: batch.id });
  const reconciliation = reconcileBatch(batch, payments, feeLines, adjustments);
  if (!reconciliation.ok) {
    const detail = [
      ...reconciliation.differences.map((d) => `${d.field} ${d.batchMinor} != ${d.recomputedMinor}`),
      ...reconciliation.problems.map((p) => `${p.paymentId} ${p.problem}`),
    ].slice(0, 5).join('; ');
    throw new ReswipeError('RSW_FEE_BATCH_MISMATCH', { merchantId, businessDate, detail });
  }
  const { lines } = buildSettlementBatch(merchantId, businessDate, payments, feeLines, { settleMode: batch.settleMode, payoutDate: batch.payoutDate, createdAtMs: batch.createdAtMs, adjustments });
  return { batch, lines };
}
