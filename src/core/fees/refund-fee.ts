// The fee consequence of a refund, per the plan's refund policy. Pure.
//
// `pro_rata` is computed cumulatively: after this refund the merchant has had back
// roundHalfUpRatio(originalFee, refundedSoFar, originalAmount) in total, so several partial
// refunds never return more (or less) than one refund of the same total, and a full refund
// returns exactly the original fee.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { assertNever } from '../vocabulary.ts';
import type { FeeRefundPolicy } from './fee-plan.ts';
import { assertAmountMinor } from './compute-fee.ts';
import { roundHalfUpRatio } from './round-half-up.ts';

export interface RefundFeeInput {
  readonly policy: FeeRefundPolicy;
  readonly originalPaymentId: string;
  readonly originalAmountMinor: number;
  /** The fee charged on the original payment (its `fee` line). */
  readonly originalFeeMinor: number;
  readonly refundAmountMinor: number;
  /** Amount refunded by earlier refunds of the same payment. */
  readonly refundedBeforeMinor: number;
  /** Fee given back by earlier refunds of the same payment. */
  readonly feeRefundedBeforeMinor: number;
}

export interface RefundFee {
  /** Fee given back to the merchant by this refund (never negative). */
  readonly feeRefundMinor: number;
  readonly rule: string;
}

export function refundFee(input: RefundFeeInput): RefundFee {
  const originalMinor = assertAmountMinor(input.originalAmountMinor, 'originalAmountMinor');
  const refundMinor = assertAmountMinor(input.refundAmountMinor, 'refundAmountMinor');
  const beforeMinor = assertAmountMinor(input.refundedBeforeMinor, 'refundedBeforeMinor');
  const refundedMinor = beforeMinor + refundMinor;
  if (refundedMinor > originalMinor) {
    throw new ReswipeError('RSW_FEE_REFUND_EXCEEDS_ORIGINAL', { paymentId: input.originalPaymentId, refundedMinor, originalMinor, field: 'amountMinor' });
  }
  switch (input.policy) {
    case 'not_refunded':
      return { feeRefundMinor: 0, rule: 'refund:not_refunded' };
    case 'pro_rata': {
      if (originalMinor === 0) return { feeRefundMinor: 0, rule: 'refund:pro_rata' };
      const totalBackMinor = roundHalfUpRatio(input.originalFeeMinor, refundedMinor, originalMinor);
      const feeRefundMinor = Math.max(0, totalBackMinor - input.feeRefundedBeforeMinor);
      return { feeRefundMinor, rule: 'refund:pro_rata' };
    }
    default:
      return assertNever(input.policy, 'refund policy');
  }
}
