// The validated, normalized form of a fee plan. Plan files are data (docs/fees.md); this is what
// `validateFeePlans` turns them into, deep-frozen, so pricing code never sees an unchecked value.
import type { PaymentMethod } from '../vocabulary.ts';

/** How a refund treats the fee of the payment it refunds. */
export const feeRefundPolicies = ['not_refunded', 'pro_rata'] as const;
export type FeeRefundPolicy = (typeof feeRefundPolicies)[number];

/** Named rounding rules. Only half-up to the fen exists today; the name travels with every quote. */
export const feeRoundingRules = ['half-up'] as const;
export type FeeRoundingRule = (typeof feeRoundingRules)[number];

export const settleModes = ['t1', 'd0'] as const;
export type SettleMode = (typeof settleModes)[number];

/** ISO 8583 DE 4 holds 12 digits, so no amount a terminal sends can be larger. */
export const amountMinorMax = 999_999_999_999;
/** A rate above 100 % is never meant. */
export const rateBpsMax = 10_000;

/** One amount band of a method's price. The band prices the whole amount (not only the part above the previous band). */
export interface FeeTier {
  /** Inclusive upper bound of the band in fen; null for the last, open band. */
  readonly upToMinor: number | null;
  readonly rateBps: number;
  readonly capMinor: number | null;
  readonly minMinor: number | null;
}

/** A method's price: one or more bands, ascending, the last one open. A flat rate is one open band. */
export interface MethodPricing {
  readonly tiers: readonly FeeTier[];
}

export type MethodPrices = Readonly<Partial<Record<PaymentMethod, MethodPricing>>>;

/** Prices for merchants of some MCCs (an industry), replacing the plan's base prices for the methods it names. */
export interface MccOverride {
  readonly name: string;
  readonly mccs: readonly string[];
  readonly methods: MethodPrices;
}

/** A time-limited price: applies to payments made in [fromMs, toMs), optionally only for some MCCs. */
export interface Promotion {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Null: every merchant on the plan. */
  readonly mccs: readonly string[] | null;
  readonly methods: MethodPrices;
}

/** The extra a merchant pays for same-day (D0) settlement, added after the percentage fee. */
export interface SettlementSurcharge {
  readonly perTransactionMinor: number;
  readonly rateBps: number;
}

export interface FeePlan {
  readonly name: string;
  readonly description: string;
  readonly currency: string;
  readonly rounding: FeeRoundingRule;
  readonly refundPolicy: FeeRefundPolicy;
  readonly methods: MethodPrices;
  readonly overrides: readonly MccOverride[];
  readonly promotions: readonly Promotion[];
  /** Surcharge per settle mode; T+1 has none unless a plan says so. */
  readonly surcharges: Readonly<Record<SettleMode, SettlementSurcharge | null>>;
  /** The plan as written (validated, frozen), for `GET /v1/fee-plans/{name}` and round trips. */
  readonly document: Readonly<Record<string, unknown>>;
}

/** Every loaded plan by name. */
export interface FeePlanSet {
  readonly plans: ReadonlyMap<string, FeePlan>;
}
