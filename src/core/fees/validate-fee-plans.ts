// Turns a fee plan document (a parsed JSON file or an HTTP body) into a frozen FeePlanSet, or
// throws one ReswipeError naming the path of the first bad entry. Validation is all-or-nothing:
// the caller swaps in the result only when every plan of the document passed.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { isMember, paymentMethods, type PaymentMethod } from '../vocabulary.ts';
import {
  amountMinorMax,
  feeRefundPolicies,
  feeRoundingRules,
  rateBpsMax,
  settleModes,
  type FeePlan,
  type FeePlanSet,
  type FeeTier,
  type MccOverride,
  type MethodPrices,
  type MethodPricing,
  type Promotion,
  type SettleMode,
  type SettlementSurcharge,
} from './fee-plan.ts';

/** Bounds on a plan document, so a hostile or broken file cannot make validation slow. */
export const feePlanLimits = {
  plansMax: 200,
  tiersMax: 20,
  overridesMax: 200,
  promotionsMax: 200,
  mccsMax: 1000,
} as const;

const planNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const mccPattern = /^\d{4}$/;
/** ISO 8601 with an explicit zone: a promotion window must not depend on the server's local time. */
const isoInstantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;

class Reader {
  constructor(readonly source: string) {}

  fail(field: string, reason: string): never {
    throw new ReswipeError('RSW_FEE_PLAN_INVALID', { source: this.source, field, reason });
  }

  object(value: unknown, field: string, allowed: readonly string[]): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object');
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(`${field}.${key}`, `is not a known key (known: ${allowed.join(', ')})`);
    }
    return value as Json;
  }

  array(value: unknown, field: string, max: number): unknown[] {
    if (!Array.isArray(value)) this.fail(field, 'must be an array');
    if (value.length > max) this.fail(field, `has ${value.length} entries, more than the limit ${max}`);
    return value;
  }

  string(value: unknown, field: string, pattern?: RegExp, what?: string): string {
    if (typeof value !== 'string') this.fail(field, 'must be a string');
    if (pattern !== undefined && !pattern.test(value)) this.fail(field, `must be ${what ?? `like ${String(pattern)}`}`);
    return value;
  }

  integer(value: unknown, field: string, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(field, 'must be a whole number');
    if (value < 0) this.fail(field, 'must not be negative');
    if (value > max) this.fail(field, `must be at most ${max}`);
    return value;
  }

  optionalInteger(value: unknown, field: string, max: number): number | null {
    return value === undefined || value === null ? null : this.integer(value, field, max);
  }
}

/** Validates a document `{ "plans": [ ... ] }` from `source` (a file name or `http`). */
export function validateFeePlans(doc: unknown, source: string): FeePlanSet {
  const reader = new Reader(source);
  const root = reader.object(doc, '$', ['plans', '$schema', 'comment']);
  const entries = reader.array(root.plans, 'plans', feePlanLimits.plansMax);
  const plans = new Map<string, FeePlan>();
  entries.forEach((entry, index) => {
    const plan = readPlan(reader, entry, `plans[${index}]`);
    if (plans.has(plan.name)) reader.fail(`plans[${index}].name`, `plan ${plan.name} is defined twice`);
    plans.set(plan.name, plan);
  });
  return Object.freeze({ plans });
}

/** Validates one plan document (the body of `PUT /v1/fee-plans/{name}`). */
export function validateFeePlan(doc: unknown, source: string, field = '$'): FeePlan {
  return readPlan(new Reader(source), doc, field);
}

/** A set with `extra`'s plans added, replacing same-named ones of `base`. */
export function mergeFeePlanSets(base: FeePlanSet, extra: FeePlanSet): FeePlanSet {
  const plans = new Map(base.plans);
  for (const [name, plan] of extra.plans) plans.set(name, plan);
  return Object.freeze({ plans });
}

/** Finds a plan by name or throws RSW_FEE_UNKNOWN_PLAN listing the known names. */
export function getFeePlan(set: FeePlanSet, name: string): FeePlan {
  const plan = set.plans.get(name);
  if (plan === undefined) throw new ReswipeError('RSW_FEE_UNKNOWN_PLAN', { plan: name, known: [...set.plans.keys()].sort().join(', '), field: 'plan' });
  return plan;
}

function readPlan(reader: Reader, value: unknown, field: string): FeePlan {
  const raw = reader.object(value, field, ['name', 'description', 'currency', 'rounding', 'refundPolicy', 'methods', 'overrides', 'promotions', 'settlement', 'comment']);
  const name = reader.string(raw.name, `${field}.name`, planNamePattern, 'lower-case letters, digits, dot, dash or underscore, at most 64');
  const description = raw.description === undefined ? '' : reader.string(raw.description, `${field}.description`);
  const currency = raw.currency === undefined ? 'CNY' : reader.string(raw.currency, `${field}.currency`, /^CNY$/, 'CNY (the only currency priced today)');
  const rounding = raw.rounding === undefined ? 'half-up' : raw.rounding;
  if (!isMember(feeRoundingRules, rounding)) reader.fail(`${field}.rounding`, `must be one of ${feeRoundingRules.join(', ')}`);
  const refundPolicy = raw.refundPolicy === undefined ? 'not_refunded' : raw.refundPolicy;
  if (!isMember(feeRefundPolicies, refundPolicy)) reader.fail(`${field}.refundPolicy`, `must be one of ${feeRefundPolicies.join(', ')}`);
  const methods = readMethodPrices(reader, raw.methods, `${field}.methods`);
  if (Object.keys(methods).length === 0) reader.fail(`${field}.methods`, 'must price at least one method');

  const overrides = raw.overrides === undefined ? [] : reader.array(raw.overrides, `${field}.overrides`, feePlanLimits.overridesMax).map((entry, index) => readOverride(reader, entry, `${field}.overrides[${index}]`));
  checkOverridesDisjoint(reader, overrides, `${field}.overrides`);

  const promotions = raw.promotions === undefined ? [] : reader.array(raw.promotions, `${field}.promotions`, feePlanLimits.promotionsMax).map((entry, index) => readPromotion(reader, entry, `${field}.promotions[${index}]`));
  checkPromotionsDisjoint(reader, promotions, `${field}.promotions`);

  const surcharges = readSettlement(reader, raw.settlement, `${field}.settlement`);
  return deepFreeze({ name, description, currency, rounding, refundPolicy, methods, overrides, promotions, surcharges, document: structuredClone(raw) });
}

function readMethodPrices(reader: Reader, value: unknown, field: string): MethodPrices {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) reader.fail(field, 'must be an object of method prices');
  const prices: Partial<Record<PaymentMethod, MethodPricing>> = {};
  for (const [method, pricing] of Object.entries(value)) {
    if (!isMember(paymentMethods, method)) {
      throw new ReswipeError('RSW_FEE_UNKNOWN_METHOD', { method, known: paymentMethods.join(', '), field: `${field}.${method}` });
    }
    prices[method] = readPricing(reader, pricing, `${field}.${method}`);
  }
  return prices;
}

function readPricing(reader: Reader, value: unknown, field: string): MethodPricing {
  const raw = reader.object(value, field, ['rateBps', 'capMinor', 'minMinor', 'tiers']);
  if (raw.tiers === undefined) return { tiers: [readTier(reader, raw, field, true)] };
  if (raw.rateBps !== undefined || raw.capMinor !== undefined || raw.minMinor !== undefined) {
    reader.fail(field, 'gives either rateBps (with capMinor, minMinor) or tiers, not both');
  }
  const entries = reader.array(raw.tiers, `${field}.tiers`, feePlanLimits.tiersMax);
  const source = reader.source;
  if (entries.length === 0) throw new ReswipeError('RSW_FEE_BAD_TIERS', { source, field: `${field}.tiers`, reason: 'needs at least one tier' });
  const tiers = entries.map((entry, index) => readTier(reader, entry, `${field}.tiers[${index}]`, false));
  let previousUpTo = -1;
  tiers.forEach((tier, index) => {
    const isLast = index === tiers.length - 1;
    const at = `${field}.tiers[${index}]`;
    if (tier.upToMinor === null) {
      if (!isLast) throw new ReswipeError('RSW_FEE_BAD_TIERS', { source, field: at, reason: 'only the last tier may be open (no upToMinor)' });
      return;
    }
    if (isLast) throw new ReswipeError('RSW_FEE_BAD_TIERS', { source, field: at, reason: 'the last tier must be open (no upToMinor) so every amount has a price' });
    if (tier.upToMinor <= previousUpTo) throw new ReswipeError('RSW_FEE_BAD_TIERS', { source, field: `${at}.upToMinor`, reason: `must be above the previous tier's ${previousUpTo}` });
    previousUpTo = tier.upToMinor;
  });
  return { tiers };
}

function readTier(reader: Reader, value: unknown, field: string, isFlat: boolean): FeeTier {
  const raw = isFlat ? (value as Json) : reader.object(value, field, ['upToMinor', 'rateBps', 'capMinor', 'minMinor']);
  const upToMinor = isFlat ? null : reader.optionalInteger(raw.upToMinor, `${field}.upToMinor`, amountMinorMax);
  if (raw.rateBps === undefined) reader.fail(`${field}.rateBps`, 'is required');
  const rateBps = reader.integer(raw.rateBps, `${field}.rateBps`, rateBpsMax);
  const capMinor = reader.optionalInteger(raw.capMinor, `${field}.capMinor`, amountMinorMax);
  const minMinor = reader.optionalInteger(raw.minMinor, `${field}.minMinor`, amountMinorMax);
  if (capMinor !== null && minMinor !== null && capMinor < minMinor) {
    throw new ReswipeError('RSW_FEE_CAP_BELOW_MINIMUM', { source: reader.source, field, capMinor, minMinor });
  }
  return { upToMinor, rateBps, capMinor, minMinor };
}

function readMccs(reader: Reader, value: unknown, field: string): string[] {
  const mccs = reader.array(value, field, feePlanLimits.mccsMax).map((mcc, index) => reader.string(mcc, `${field}[${index}]`, mccPattern, 'a 4-digit MCC'));
  if (mccs.length === 0) reader.fail(field, 'must list at least one MCC');
  return mccs;
}

function readOverride(reader: Reader, value: unknown, field: string): MccOverride {
  const raw = reader.object(value, field, ['name', 'mccs', 'methods', 'comment']);
  const name = reader.string(raw.name, `${field}.name`, planNamePattern, 'a short lower-case name');
  const mccs = readMccs(reader, raw.mccs, `${field}.mccs`);
  const methods = readMethodPrices(reader, raw.methods, `${field}.methods`);
  if (Object.keys(methods).length === 0) reader.fail(`${field}.methods`, 'must price at least one method');
  return { name, mccs, methods };
}

function readPromotion(reader: Reader, value: unknown, field: string): Promotion {
  const raw = reader.object(value, field, ['name', 'from', 'to', 'mccs', 'methods', 'comment']);
  const name = reader.string(raw.name, `${field}.name`, planNamePattern, 'a short lower-case name');
  const fromMs = readInstant(reader, raw.from, `${field}.from`);
  const toMs = readInstant(reader, raw.to, `${field}.to`);
  if (toMs <= fromMs) reader.fail(`${field}.to`, 'must be after from');
  const mccs = raw.mccs === undefined ? null : readMccs(reader, raw.mccs, `${field}.mccs`);
  const methods = readMethodPrices(reader, raw.methods, `${field}.methods`);
  if (Object.keys(methods).length === 0) reader.fail(`${field}.methods`, 'must price at least one method');
  return { name, fromMs, toMs, mccs, methods };
}

function readInstant(reader: Reader, value: unknown, field: string): number {
  const text = reader.string(value, field, isoInstantPattern, 'an ISO 8601 time with a zone, like 2026-06-01T00:00:00+08:00');
  const atMs = Date.parse(text);
  if (!Number.isFinite(atMs)) reader.fail(field, 'is not a real date and time');
  return atMs;
}

function readSettlement(reader: Reader, value: unknown, field: string): Record<SettleMode, SettlementSurcharge | null> {
  const surcharges: Record<SettleMode, SettlementSurcharge | null> = { t1: null, d0: null };
  if (value === undefined) return surcharges;
  const raw = reader.object(value, field, [...settleModes]);
  for (const mode of settleModes) {
    if (raw[mode] === undefined || raw[mode] === null) continue;
    const entry = reader.object(raw[mode], `${field}.${mode}`, ['perTransactionMinor', 'rateBps']);
    const perTransactionMinor = reader.optionalInteger(entry.perTransactionMinor, `${field}.${mode}.perTransactionMinor`, amountMinorMax) ?? 0;
    const rateBps = reader.optionalInteger(entry.rateBps, `${field}.${mode}.rateBps`, rateBpsMax) ?? 0;
    surcharges[mode] = { perTransactionMinor, rateBps };
  }
  return surcharges;
}

/** Two MCC lists overlap when either is null (every merchant) or they share an MCC; returns a shared MCC or `*`. */
function sharedMcc(a: readonly string[] | null, b: readonly string[] | null): string | null {
  if (a === null || b === null) return '*';
  const inA = new Set(a);
  return b.find((mcc) => inA.has(mcc)) ?? null;
}

function sharedMethod(a: MethodPrices, b: MethodPrices): PaymentMethod | null {
  return paymentMethods.find((method) => a[method] !== undefined && b[method] !== undefined) ?? null;
}

function checkOverridesDisjoint(reader: Reader, overrides: readonly MccOverride[], field: string): void {
  for (let i = 0; i < overrides.length; i += 1) {
    for (let j = 0; j < i; j += 1) {
      const a = overrides[j] as MccOverride;
      const b = overrides[i] as MccOverride;
      const method = sharedMethod(a.methods, b.methods);
      const mcc = sharedMcc(a.mccs, b.mccs);
      if (method !== null && mcc !== null) reader.fail(`${field}[${i}]`, `MCC ${mcc} for ${method} is also priced by override ${a.name}; an MCC may have one override per method`);
    }
  }
}

function checkPromotionsDisjoint(reader: Reader, promotions: readonly Promotion[], field: string): void {
  for (let i = 0; i < promotions.length; i += 1) {
    for (let j = 0; j < i; j += 1) {
      const a = promotions[j] as Promotion;
      const b = promotions[i] as Promotion;
      const timesOverlap = a.fromMs < b.toMs && b.fromMs < a.toMs;
      const method = sharedMethod(a.methods, b.methods);
      if (timesOverlap && method !== null && sharedMcc(a.mccs, b.mccs) !== null) {
        throw new ReswipeError('RSW_FEE_PROMOTIONS_OVERLAP', { source: reader.source, field: `${field}[${i}]`, other: a.name, method });
      }
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
