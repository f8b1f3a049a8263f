// Settlement arithmetic for one merchant and one business date. Pure: the caller selects the
// payments made in the business day's window and the fee lines dated that business date.
//
//   gross   = sum of approved sales and completions
//   refunds = sum of approved refunds
//   fees    = sum of the fee lines (signed: `fee` > 0, `fee_refund` and `fee_removed` < 0)
//   net     = gross - refunds - fees + adjustments
//
// Adjustments are the money of reconciliation discrepancies resolved with an adjustment
// (docs/reconciliation.md): signed, + paid to the merchant, - taken back; each is one statement line.
//
// Every statement line carries its share, so the batch totals are exactly the sums of its lines.
import type { FeeLineRecord, PaymentKind, PaymentRecord, SettlementAdjustmentRecord, SettlementBatchRecord } from '../ports/store.ts';
import { assertNever } from '../vocabulary.ts';
import type { SettleMode } from './fee-plan.ts';

/** How a payment kind moves settled money: +1 paid to the merchant, -1 taken back, 0 not settled. */
export function settlementSignOf(kind: PaymentKind): 1 | -1 | 0 {
  switch (kind) {
    case 'sale':
    case 'completion':
      return 1;
    case 'refund':
      return -1;
    case 'preauth':
    case 'void':
    case 'preauth_cancel':
    case 'completion_void':
    case 'balance_inquiry':
      return 0;
    default:
      return assertNever(kind, 'payment kind');
  }
}

/** True when a payment moves money in settlement: approved, of a settled kind. */
export function isSettledPayment(payment: PaymentRecord): boolean {
  return payment.status === 'approved' && settlementSignOf(payment.kind) !== 0;
}

/** One row of the statement: a settled payment, or fee lines whose payment is not settled in this batch. */
export interface StatementLine {
  readonly lineType: 'payment' | 'fee_adjustment' | 'adjustment';
  readonly paymentId: string;
  readonly kind: string;
  readonly createdAtMs: number;
  readonly terminalId: string | null;
  readonly cardMasked: string;
  readonly method: string;
  /** Signed: refunds are negative. */
  readonly amountMinor: number;
  /** Signed sum of the payment's fee lines in this batch. */
  readonly feeMinor: number;
  readonly netMinor: number;
  readonly rateBps: number | null;
  readonly plan: string;
  readonly rule: string;
  readonly rrn: string | null;
  readonly authCode: string | null;
  readonly originalPaymentId: string | null;
}

export interface SettlementBatchOptions {
  readonly settleMode: SettleMode;
  readonly payoutDate: string;
  readonly createdAtMs: number;
  /** Lines bound: a batch larger than this is a configuration problem (split by merchant). */
  readonly linesMax?: number;
  /** Reconciliation adjustments this batch carries (the store assigns them: SettlementAdjustmentRecord.batchId). */
  readonly adjustments?: readonly SettlementAdjustmentRecord[];
}

export interface SettlementBatchResult {
  readonly batch: SettlementBatchRecord;
  readonly lines: readonly StatementLine[];
}

export const settlementLinesMaxDefault = 1_000_000;

/** The stable id of a merchant's batch for a business date: re-running a day replaces, never duplicates. */
export function settlementBatchId(merchantId: string, businessDate: string): string {
  return `stl_${merchantId}_${businessDate}`;
}

export function buildSettlementBatch(
  merchantId: string,
  businessDate: string,
  payments: readonly PaymentRecord[],
  feeLines: readonly FeeLineRecord[],
  options: SettlementBatchOptions,
): SettlementBatchResult {
  const linesMax = options.linesMax ?? settlementLinesMaxDefault;
  if (payments.length > linesMax || feeLines.length > linesMax) throw new Error(`settlement batch over ${linesMax} lines`);
  const feesByPayment = new Map<string, FeeLineRecord[]>();
  for (const line of feeLines) {
    if (line.merchantId !== merchantId || line.businessDate !== businessDate) {
      throw new Error(`fee line ${line.id} belongs to ${line.merchantId} ${line.businessDate}, not to batch ${merchantId} ${businessDate}`);
    }
    const list = feesByPayment.get(line.paymentId) ?? [];
    list.push(line);
    feesByPayment.set(line.paymentId, list);
  }

  let grossMinor = 0;
  let refundsMinor = 0;
  const lines: StatementLine[] = [];
  const settled = payments.filter(isSettledPayment).sort((a, b) => a.createdAtMs - b.createdAtMs || compareText(a.id, b.id));
  for (const payment of settled) {
    if (payment.merchantId !== merchantId) throw new Error(`payment ${payment.id} belongs to ${payment.merchantId}, not to batch ${merchantId}`);
    const sign = settlementSignOf(payment.kind);
    if (sign > 0) grossMinor += payment.amountMinor;
    else refundsMinor += payment.amountMinor;
    const fees = feesByPayment.get(payment.id) ?? [];
    feesByPayment.delete(payment.id);
    const amountMinor = sign * payment.amountMinor;
    const feeMinor = sumFees(fees);
    const pricing = fees.find((line) => line.kind === 'fee') ?? fees[0];
    lines.push({
      lineType: 'payment',
      paymentId: payment.id,
      kind: payment.kind,
      createdAtMs: payment.createdAtMs,
      terminalId: payment.terminalId,
      cardMasked: payment.panMasked,
      method: pricing?.method ?? payment.cardType,
      amountMinor,
      feeMinor,
      netMinor: amountMinor - feeMinor,
      rateBps: pricing?.rateBps ?? null,
      plan: pricing?.plan ?? '',
      rule: pricing?.rule ?? '',
      rrn: payment.rrn,
      authCode: payment.authCode,
      originalPaymentId: payment.originalPaymentId,
    });
  }
  // Fee lines whose payment is not settled here (a voided sale's fee and its removal) still count,
  // one row per payment, so that no fee moves without a line on the statement.
  const unsettled = [...feesByPayment.entries()].sort(([a], [b]) => compareText(a, b));
  for (const [paymentId, fees] of unsettled) {
    const feeMinor = sumFees(fees);
    if (feeMinor === 0 && fees.every((line) => line.kind !== 'fee_refund')) continue;
    const first = fees[0] as FeeLineRecord;
    lines.push({
      lineType: 'fee_adjustment',
      paymentId,
      kind: fees.map((line) => line.kind).join('+'),
      createdAtMs: Math.min(...fees.map((line) => line.createdAtMs)),
      terminalId: null,
      cardMasked: '',
      method: first.method,
      amountMinor: 0,
      feeMinor,
      netMinor: -feeMinor,
      rateBps: first.rateBps,
      plan: first.plan,
      rule: first.rule,
      rrn: null,
      authCode: null,
      originalPaymentId: null,
    });
  }
  let adjustmentsMinor = 0;
  const adjustments = [...(options.adjustments ?? [])].sort((a, b) => a.createdAtMs - b.createdAtMs || compareText(a.id, b.id));
  for (const adjustment of adjustments) {
    if (adjustment.merchantId !== merchantId) throw new Error(`adjustment ${adjustment.id} belongs to ${adjustment.merchantId}, not to batch ${merchantId}`);
    adjustmentsMinor += adjustment.amountMinor;
    lines.push({
      lineType: 'adjustment',
      paymentId: adjustment.discrepancyId,
      kind: 'adjustment',
      createdAtMs: adjustment.createdAtMs,
      terminalId: null,
      cardMasked: '',
      method: '',
      amountMinor: adjustment.amountMinor,
      feeMinor: 0,
      netMinor: adjustment.amountMinor,
      rateBps: null,
      plan: '',
      rule: `recon:${adjustment.reason}`,
      rrn: null,
      authCode: null,
      originalPaymentId: null,
    });
  }
  const feesMinor = sumFees(feeLines);
  const netMinor = grossMinor - refundsMinor - feesMinor + adjustmentsMinor;
  const batch: SettlementBatchRecord = {
    id: settlementBatchId(merchantId, businessDate),
    merchantId,
    businessDate,
    grossMinor,
    refundsMinor,
    feesMinor,
    netMinor,
    payoutDate: options.payoutDate,
    settleMode: options.settleMode,
    state: 'closed',
    createdAtMs: options.createdAtMs,
    // Absent when 0, as batches were before reconciliation adjustments (and as the store reads them back).
    ...(adjustmentsMinor === 0 ? {} : { adjustmentsMinor }),
  };
  return { batch, lines };
}

export interface ReconciliationDifference {
  readonly field: 'grossMinor' | 'refundsMinor' | 'feesMinor' | 'netMinor' | 'adjustmentsMinor' | 'linesAmountMinor' | 'linesFeeMinor';
  readonly batchMinor: number;
  readonly recomputedMinor: number;
}

export interface ReconciliationProblem {
  readonly paymentId: string;
  readonly problem: 'missing_fee_line' | 'fee_on_unsettled_payment';
}

export interface Reconciliation {
  readonly ok: boolean;
  readonly differences: readonly ReconciliationDifference[];
  readonly problems: readonly ReconciliationProblem[];
}

/**
 * Checks a batch (as stored) against its payments and fee lines (as they are now): the totals must
 * equal the recomputed sums, every settled sale has a fee line, and an unsettled payment's fee
 * lines cancel out. A mismatch is a finding to report, so it is a value, not an error.
 */
export function reconcileBatch(
  batch: SettlementBatchRecord,
  payments: readonly PaymentRecord[],
  feeLines: readonly FeeLineRecord[],
  adjustments: readonly SettlementAdjustmentRecord[] = [],
): Reconciliation {
  const recomputed = buildSettlementBatch(batch.merchantId, batch.businessDate, payments, feeLines, {
    settleMode: batch.settleMode,
    payoutDate: batch.payoutDate,
    createdAtMs: batch.createdAtMs,
    adjustments,
  });
  const differences: ReconciliationDifference[] = [];
  for (const field of ['grossMinor', 'refundsMinor', 'feesMinor', 'netMinor'] as const) {
    if (batch[field] !== recomputed.batch[field]) differences.push({ field, batchMinor: batch[field], recomputedMinor: recomputed.batch[field] });
  }
  const batchAdjustmentsMinor = batch.adjustmentsMinor ?? 0;
  const recomputedAdjustmentsMinor = recomputed.batch.adjustmentsMinor ?? 0;
  if (batchAdjustmentsMinor !== recomputedAdjustmentsMinor) differences.push({ field: 'adjustmentsMinor', batchMinor: batchAdjustmentsMinor, recomputedMinor: recomputedAdjustmentsMinor });
  const linesAmountMinor = recomputed.lines.reduce((sum, line) => sum + line.amountMinor, 0);
  const linesFeeMinor = recomputed.lines.reduce((sum, line) => sum + line.feeMinor, 0);
  if (linesAmountMinor !== statementAmountMinor(batch)) {
    differences.push({ field: 'linesAmountMinor', batchMinor: statementAmountMinor(batch), recomputedMinor: linesAmountMinor });
  }
  if (linesFeeMinor !== batch.feesMinor) differences.push({ field: 'linesFeeMinor', batchMinor: batch.feesMinor, recomputedMinor: linesFeeMinor });

  const problems: ReconciliationProblem[] = [];
  const feeKindsByPayment = new Map<string, FeeLineRecord[]>();
  for (const line of feeLines) feeKindsByPayment.set(line.paymentId, [...(feeKindsByPayment.get(line.paymentId) ?? []), line]);
  for (const payment of payments) {
    const lines = feeKindsByPayment.get(payment.id) ?? [];
    if (isSettledPayment(payment) && settlementSignOf(payment.kind) > 0 && !lines.some((line) => line.kind === 'fee')) {
      problems.push({ paymentId: payment.id, problem: 'missing_fee_line' });
    }
    if (!isSettledPayment(payment) && sumFees(lines) !== 0) problems.push({ paymentId: payment.id, problem: 'fee_on_unsettled_payment' });
  }
  return { ok: differences.length === 0 && problems.length === 0, differences, problems };
}

/** The statement's total amount: gross - refunds + adjustments (the detail rows' amounts add up to it). */
export function statementAmountMinor(batch: SettlementBatchRecord): number {
  return batch.grossMinor - batch.refundsMinor + (batch.adjustmentsMinor ?? 0);
}

function sumFees(lines: readonly FeeLineRecord[]): number {
  return lines.reduce((sum, line) => sum + line.feeMinor, 0);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
