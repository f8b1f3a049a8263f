// The glue the authorization engine calls inside its store transaction when a payment reaches a
// final state: an approved sale gets its fee line, a void or reversal cancels it with a
// `fee_removed` line (history is kept, nothing is deleted), a refund gets a `fee_refund` line per
// the plan's refund policy. Every function is idempotent: the engine may call it again after a
// retry and the store ends with the same lines (line ids are derived from the payment id).
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { businessDateOf, defaultCutoff } from '../../core/fees/business-date.ts';
import { computeFee } from '../../core/fees/compute-fee.ts';
import type { FeePlanSet, SettleMode } from '../../core/fees/fee-plan.ts';
import { refundFee } from '../../core/fees/refund-fee.ts';
import { settlementSignOf } from '../../core/fees/settlement-batch.ts';
import { getFeePlan } from '../../core/fees/validate-fee-plans.ts';
import type { FeeLineRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import { assertNever, type CardType, type PaymentMethod } from '../../core/vocabulary.ts';

export interface PaymentFeeContext {
  readonly plans: FeePlanSet;
  /** The merchant's plan (`MerchantRecord.feePlan`). */
  readonly merchantFeePlan: string;
  readonly mcc: string;
  readonly timeZone: string;
  readonly settleMode: SettleMode;
  readonly nowMs: number;
  /** Daily cut-off HH:MM in `timeZone`; default 23:00. */
  readonly cutoff?: string | undefined;
  /** The method when it is not the card type (QR wallets, digital RMB). */
  readonly method?: PaymentMethod | undefined;
}

/**
 * The fee method of a card payment is its card type. An `unknown` card type (a BIN reswipe cannot
 * place) is priced as credit: credit is the dearest card rate of every shipped plan, so an unknown
 * card never costs the acquirer money, and the rule is visible on the statement (`method` column).
 */
export function feeMethodOfCardType(cardType: CardType): PaymentMethod {
  switch (cardType) {
    case 'debit':
    case 'credit':
    case 'quasi-credit':
    case 'prepaid':
      return cardType;
    case 'unknown':
      return 'credit';
    default:
      return assertNever(cardType, 'card type');
  }
}

/** The `fee` line an approved sale or completion gets (pure: the same line every time for the same payment and plans). */
export function approvedFeeLineOf(payment: PaymentRecord, context: PaymentFeeContext): FeeLineRecord {
  if (payment.status !== 'approved' || settlementSignOf(payment.kind) !== 1) {
    throw new Error(`recordFeesForApprovedPayment: payment ${payment.id} is ${payment.status} ${payment.kind}, not an approved sale or completion`);
  }
  // A QR payment is priced by its method (the plan's QR rates); a card by its card type.
  const method = context.method ?? (payment.method !== undefined && payment.method !== 'card' ? payment.method : feeMethodOfCardType(payment.cardType));
  const quote = computeFee({
    amountMinor: payment.amountMinor,
    method,
    plan: getFeePlan(context.plans, context.merchantFeePlan),
    mcc: context.mcc,
    atMs: payment.createdAtMs,
    settleMode: context.settleMode,
  });
  const line: FeeLineRecord = {
    id: `fee_${payment.id}`,
    paymentId: payment.id,
    merchantId: payment.merchantId,
    kind: 'fee',
    method,
    plan: quote.plan,
    rule: quote.surchargeMinor > 0 ? `${quote.rule}+${quote.settleMode}:${quote.surchargeMinor}` : quote.rule,
    amountMinor: payment.amountMinor,
    feeMinor: quote.feeMinor,
    rateBps: quote.rateBps,
    businessDate: businessDateOf(payment.createdAtMs, context.timeZone, context.cutoff ?? defaultCutoff),
    createdAtMs: context.nowMs,
  };
  return line;
}

/** Adds the `fee` line of an approved sale or completion; returns the existing one when already recorded. */
export async function recordFeesForApprovedPayment(tx: StoreTx, payment: PaymentRecord, context: PaymentFeeContext): Promise<FeeLineRecord> {
  if (payment.status !== 'approved' || settlementSignOf(payment.kind) !== 1) approvedFeeLineOf(payment, context);
  const existing = (await tx.listFeeLines({ paymentId: payment.id })).find((candidate) => candidate.kind === 'fee');
  if (existing !== undefined) return existing;
  const line = approvedFeeLineOf(payment, context);
  await tx.insertFeeLine(line);
  return line;
}

/**
 * Cancels a payment's fees after a void or reversal with one `fee_removed` line that brings the
 * payment's fee lines to zero, dated like the fee it cancels (voids are same-day by scheme rules).
 * Returns null when nothing is left to remove.
 */
export async function removeFeesForPayment(tx: StoreTx, payment: PaymentRecord, context: { readonly nowMs: number }): Promise<FeeLineRecord | null> {
  const lines = await tx.listFeeLines({ paymentId: payment.id });
  const feeMinor = lines.reduce((sum, line) => sum + line.feeMinor, 0);
  const amountMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0);
  const original = lines.find((line) => line.kind === 'fee');
  if (original === undefined || (feeMinor === 0 && amountMinor === 0)) return null;
  const line: FeeLineRecord = {
    id: `feerm_${payment.id}_${lines.length}`,
    paymentId: payment.id,
    merchantId: payment.merchantId,
    kind: 'fee_removed',
    method: original.method,
    plan: original.plan,
    rule: `removed:${payment.status}`,
    amountMinor: -amountMinor,
    feeMinor: -feeMinor,
    rateBps: original.rateBps,
    businessDate: original.businessDate,
    createdAtMs: context.nowMs,
  };
  await tx.insertFeeLine(line);
  return line;
}

/** Bound on the earlier refunds of one payment looked at when pricing a new one. */
export const refundsPerPaymentMax = 1000;

/**
 * Adds the `fee_refund` line of an approved refund (a zero-fee line under `not_refunded`, so the
 * history shows the policy was applied). The refund's `originalPaymentId` must have a `fee` line.
 */
export async function recordFeesForRefund(tx: StoreTx, refund: PaymentRecord, context: Omit<PaymentFeeContext, 'mcc' | 'settleMode' | 'method'>): Promise<FeeLineRecord> {
  if (refund.status !== 'approved' || refund.kind !== 'refund') throw new Error(`recordFeesForRefund: payment ${refund.id} is ${refund.status} ${refund.kind}, not an approved refund`);
  const existing = (await tx.listFeeLines({ paymentId: refund.id })).find((line) => line.kind === 'fee_refund');
  if (existing !== undefined) return existing;
  const originalId = refund.originalPaymentId;
  const original = originalId === null ? undefined : (await tx.listFeeLines({ paymentId: originalId })).find((line) => line.kind === 'fee');
  if (originalId === null || original === undefined) {
    throw new ReswipeError('RSW_FEE_ORIGINAL_NOT_FOUND', { paymentId: refund.id, originalPaymentId: originalId ?? '(none)', field: 'originalPaymentId' });
  }
  // Earlier refunds of the same payment: fee_refund lines of this merchant since the sale, whose payment refunds the same original.
  const candidates = (await tx.listFeeLines({ merchantId: refund.merchantId, fromDate: original.businessDate })).filter((line) => line.kind === 'fee_refund');
  let refundedBeforeMinor = 0;
  let feeRefundedBeforeMinor = 0;
  let looked = 0;
  for (const line of candidates) {
    looked += 1;
    if (looked > refundsPerPaymentMax * 10) throw new ReswipeError('RSW_FEE_TOO_MANY_ROWS', { what: 'refund history', limit: refundsPerPaymentMax * 10 });
    const earlier = await tx.getPayment(line.paymentId);
    if (earlier?.originalPaymentId !== originalId) continue;
    refundedBeforeMinor += -line.amountMinor;
    feeRefundedBeforeMinor += -line.feeMinor;
  }
  const plan = context.plans.plans.get(original.plan) ?? getFeePlan(context.plans, context.merchantFeePlan);
  const result = refundFee({
    policy: plan.refundPolicy,
    originalPaymentId: originalId,
    originalAmountMinor: original.amountMinor,
    originalFeeMinor: original.feeMinor,
    refundAmountMinor: refund.amountMinor,
    refundedBeforeMinor,
    feeRefundedBeforeMinor,
  });
  const line: FeeLineRecord = {
    id: `feerf_${refund.id}`,
    paymentId: refund.id,
    merchantId: refund.merchantId,
    kind: 'fee_refund',
    method: original.method,
    plan: plan.name,
    rule: result.rule,
    amountMinor: refund.amountMinor === 0 ? 0 : -refund.amountMinor,
    feeMinor: result.feeRefundMinor === 0 ? 0 : -result.feeRefundMinor,
    rateBps: original.rateBps,
    businessDate: businessDateOf(refund.createdAtMs, context.timeZone, context.cutoff ?? defaultCutoff),
    createdAtMs: context.nowMs,
  };
  await tx.insertFeeLine(line);
  return line;
}
