// The what-if: a merchant's approved sales of a period priced again under another plan, next to
// the fees actually recorded. Reads only; nothing is changed.
import { businessDayWindow, defaultCutoff } from '../../core/fees/business-date.ts';
import { computeFee } from '../../core/fees/compute-fee.ts';
import { settlementSignOf } from '../../core/fees/settlement-batch.ts';
import { getFeePlan } from '../../core/fees/validate-fee-plans.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { StoreReader } from '../../core/ports/store.ts';
import type { FeeComparison, FeeComparisonInput, FeeComparisonRow } from '../../core/ports/fee-use-cases.ts';
import { feeMethodOfCardType } from './record-payment-fees.ts';
import { listMerchantPayments } from './settle-day.ts';

export type { FeeComparison, FeeComparisonRow };

/** Periods longer than this are refused (a year and a bit). */
export const comparisonDaysMax = 400;

export async function compareFeePlans(
  reader: StoreReader,
  input: FeeComparisonInput,
): Promise<FeeComparison> {
  const plan = getFeePlan(input.plans, input.plan);
  const merchant = await reader.getMerchant(input.merchantId);
  if (merchant === null) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'merchant', reason: `no merchant ${input.merchantId}` });
  const cutoff = input.cutoff ?? defaultCutoff;
  const from = businessDayWindow(input.fromDate, input.timeZone, cutoff);
  const to = businessDayWindow(input.toDate, input.timeZone, cutoff);
  if (to.toMs <= from.fromMs) throw new ReswipeError('RSW_FEE_BAD_DATE', { field: 'to', reason: 'must not be before from' });
  if (to.toMs - from.fromMs > comparisonDaysMax * 86_400_000) throw new ReswipeError('RSW_FEE_BAD_DATE', { field: 'to', reason: `period longer than ${comparisonDaysMax} days` });

  const payments = (await listMerchantPayments(reader, input.merchantId, from.fromMs, to.toMs)).filter((p) => p.status === 'approved' && settlementSignOf(p.kind) === 1);
  const feeLines = await reader.listFeeLines({ merchantId: input.merchantId, fromDate: input.fromDate, toDate: input.toDate });
  const feeByPayment = new Map(feeLines.filter((line) => line.kind === 'fee').map((line) => [line.paymentId, line]));
  const rows = new Map<string, { payments: number; amountMinor: number; currentFeesMinor: number; whatIfFeesMinor: number }>();
  for (const payment of payments) {
    const current = feeByPayment.get(payment.id);
    const method = current?.method ?? feeMethodOfCardType(payment.cardType);
    const quote = computeFee({ amountMinor: payment.amountMinor, method, plan, mcc: merchant.mcc, atMs: payment.createdAtMs, settleMode: input.settleMode });
    const row = rows.get(method) ?? { payments: 0, amountMinor: 0, currentFeesMinor: 0, whatIfFeesMinor: 0 };
    row.payments += 1;
    row.amountMinor += payment.amountMinor;
    row.currentFeesMinor += current?.feeMinor ?? 0;
    row.whatIfFeesMinor += quote.feeMinor;
    rows.set(method, row);
  }
  const byMethod = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([method, row]) => ({ method, ...row }));
  const sum = (pick: (row: FeeComparisonRow) => number): number => byMethod.reduce((total, row) => total + pick(row), 0);
  const currentFeesMinor = sum((row) => row.currentFeesMinor);
  const whatIfFeesMinor = sum((row) => row.whatIfFeesMinor);
  return {
    merchantId: input.merchantId,
    fromDate: input.fromDate,
    toDate: input.toDate,
    currentPlan: merchant.feePlan,
    plan: plan.name,
    payments: payments.length,
    amountMinor: sum((row) => row.amountMinor),
    currentFeesMinor,
    whatIfFeesMinor,
    differenceMinor: whatIfFeesMinor - currentFeesMinor,
    byMethod,
  };
}
