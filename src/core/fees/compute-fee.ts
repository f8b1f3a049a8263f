// Prices one payment under a fee plan. Pure: the time of the payment comes in as `atMs`.
//
// Order, as DOMAIN §8 and docs/fees.md describe it:
//   1. choose the price: an active promotion for the method (and MCC), else an MCC override, else the plan's base price;
//   2. choose the amount tier inside that price;
//   3. rateFee = roundHalfUpBps(amount, rateBps)      (the named rounding rule, half up to the fen);
//   4. cap, then floor (minimum), both after rounding;
//   5. add the settlement surcharge for the settle mode (D0), itself rounded half up;
//   6. the total never exceeds the amount, so net is never negative.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { isMember, paymentMethods, type PaymentMethod } from '../vocabulary.ts';
import { amountMinorMax, type FeePlan, type FeeRoundingRule, type FeeTier, type MethodPricing, type SettleMode } from './fee-plan.ts';
import { roundHalfUpBps } from './round-half-up.ts';

export interface FeeQuoteInput {
  readonly amountMinor: number;
  readonly method: string;
  readonly plan: FeePlan;
  readonly mcc?: string | undefined;
  readonly atMs: number;
  readonly settleMode: SettleMode;
}

export interface FeeQuote {
  readonly amountMinor: number;
  /** Everything the merchant pays for this payment: rate fee after cap and floor, plus surcharge. */
  readonly feeMinor: number;
  readonly netMinor: number;
  readonly rateBps: number;
  /** The rate fee before cap and floor, after rounding. */
  readonly roundedFeeMinor: number;
  /** The rate fee after cap and floor. */
  readonly rateFeeMinor: number;
  readonly capped: boolean;
  readonly floored: boolean;
  readonly surchargeMinor: number;
  /** True when the fee was cut down to the amount (a minimum or surcharge larger than a tiny sale). */
  readonly limitedToAmount: boolean;
  readonly plan: string;
  /** Which price applied: `base`, `mcc:<override>` or `promotion:<name>`, with `#tier<N>` when the price has tiers. */
  readonly rule: string;
  readonly rounding: FeeRoundingRule;
  readonly method: PaymentMethod;
  readonly settleMode: SettleMode;
}

/** Checks an amount in fen from outside (CLI, HTTP, engine). */
export function assertAmountMinor(amountMinor: unknown, field = 'amountMinor'): number {
  if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor)) throw new ReswipeError('RSW_FEE_BAD_AMOUNT', { field, reason: 'must be a whole number of fen' });
  if (amountMinor < 0) throw new ReswipeError('RSW_FEE_BAD_AMOUNT', { field, reason: 'must not be negative' });
  if (amountMinor > amountMinorMax) throw new ReswipeError('RSW_FEE_BAD_AMOUNT', { field, reason: `must be at most ${amountMinorMax} fen` });
  return amountMinor;
}

export function assertPaymentMethod(method: unknown, field = 'method'): PaymentMethod {
  if (!isMember(paymentMethods, method)) throw new ReswipeError('RSW_FEE_UNKNOWN_METHOD', { method: String(method), known: paymentMethods.join(', '), field });
  return method;
}

/** The fee of one payment under one plan. */
export function computeFee(input: FeeQuoteInput): FeeQuote {
  const amountMinor = assertAmountMinor(input.amountMinor);
  const method = assertPaymentMethod(input.method);
  const { plan } = input;
  if (input.mcc !== undefined && !/^\d{4}$/.test(input.mcc)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'mcc', reason: 'must be a 4-digit MCC' });
  if (!Number.isFinite(input.atMs)) throw new ReswipeError('RSW_FEE_BAD_DATE', { field: 'at', reason: 'is not a valid instant' });
  const chosen = choosePricing(plan, method, input.mcc, input.atMs);
  const { tier, tierNo } = chooseTier(chosen.pricing, amountMinor);
  const rule = chosen.pricing.tiers.length > 1 ? `${chosen.source}#tier${tierNo}` : chosen.source;

  const roundedFeeMinor = roundHalfUpBps(amountMinor, tier.rateBps);
  const capped = tier.capMinor !== null && roundedFeeMinor > tier.capMinor;
  const afterCapMinor = capped && tier.capMinor !== null ? tier.capMinor : roundedFeeMinor;
  const floored = tier.minMinor !== null && afterCapMinor < tier.minMinor;
  const rateFeeMinor = floored && tier.minMinor !== null ? tier.minMinor : afterCapMinor;

  const surcharge = plan.surcharges[input.settleMode];
  const surchargeMinor = surcharge === null ? 0 : surcharge.perTransactionMinor + roundHalfUpBps(amountMinor, surcharge.rateBps);

  const uncutMinor = rateFeeMinor + surchargeMinor;
  const limitedToAmount = uncutMinor > amountMinor;
  const feeMinor = limitedToAmount ? amountMinor : uncutMinor;
  return Object.freeze({
    amountMinor,
    feeMinor,
    netMinor: amountMinor - feeMinor,
    rateBps: tier.rateBps,
    roundedFeeMinor,
    rateFeeMinor,
    capped,
    floored,
    surchargeMinor,
    limitedToAmount,
    plan: plan.name,
    rule,
    rounding: plan.rounding,
    method,
    settleMode: input.settleMode,
  });
}

function choosePricing(plan: FeePlan, method: PaymentMethod, mcc: string | undefined, atMs: number): { pricing: MethodPricing; source: string } {
  for (const promotion of plan.promotions) {
    const pricing = promotion.methods[method];
    if (pricing === undefined || atMs < promotion.fromMs || atMs >= promotion.toMs) continue;
    if (promotion.mccs !== null && (mcc === undefined || !promotion.mccs.includes(mcc))) continue;
    return { pricing, source: `promotion:${promotion.name}` };
  }
  if (mcc !== undefined) {
    for (const override of plan.overrides) {
      const pricing = override.methods[method];
      if (pricing !== undefined && override.mccs.includes(mcc)) return { pricing, source: `mcc:${override.name}` };
    }
  }
  const pricing = plan.methods[method];
  if (pricing === undefined) throw new ReswipeError('RSW_FEE_METHOD_NOT_PRICED', { plan: plan.name, method, field: 'method' });
  return { pricing, source: 'base' };
}

function chooseTier(pricing: MethodPricing, amountMinor: number): { tier: FeeTier; tierNo: number } {
  const index = pricing.tiers.findIndex((tier) => tier.upToMinor === null || amountMinor <= tier.upToMinor);
  const tier = pricing.tiers[index];
  // The validator guarantees a last, open tier, so some tier always matches.
  if (tier === undefined) throw new Error(`fee pricing without an open last tier`);
  return { tier, tierNo: index + 1 };
}
