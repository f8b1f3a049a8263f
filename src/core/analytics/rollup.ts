// The hourly analytics rollup (docs/analytics.md): what one sale adds to the hourly counters, and the
// arithmetic that keeps them right when the sale changes. Pure: the projector (src/app/projector/
// analytics-projector.ts) reads the payment, its attempts and the contribution it recorded last time,
// subtracts that and adds the new one, so the rollup always equals the sum of every sale's CURRENT
// contribution, however often and in whatever order a payment is re-projected.
import type { AttemptRecord, PaymentKind, PaymentRecord } from '../ports/store.ts';
import type { CauseCategory } from '../vocabulary.ts';
import { localTimeOf, offsetMinutesAt, type LocalZone } from '../time/local-time.ts';
import type { RescueFacts, RollupContribution, RollupKey, RollupValues } from './rollup-model.ts';

export type { RescueFacts, RollupContribution, RollupKey, RollupValues } from './rollup-model.ts';

/** Payments that are a purchase (the others follow one: completions, voids, refunds are not new sales). */
export const rolledUpKinds: ReadonlySet<PaymentKind> = new Set<PaymentKind>(['sale', 'preauth']);

const hourMs = 3_600_000;

/**
 * Upper bounds (ms, inclusive) of the attempt latency buckets; the last bucket is everything above the
 * last bound. Percentiles read from them are the upper bound of the bucket the rank falls in.
 */
export const latencyBucketBoundsMs: readonly number[] = Object.freeze([50, 100, 200, 300, 500, 800, 1_200, 2_000, 3_000, 5_000, 10_000]);
export const latencyBucketCount = latencyBucketBoundsMs.length + 1;




export function emptyValues(): RollupValues {
  return { payments: 0, amountMinor: 0, attempts: 0, extraAttempts: 0, recovered: 0, recoveredMinor: 0, failovers: 0, lost: 0, lostMinor: 0, fallbacks: 0, latencyCount: 0, latencySumMs: 0, latencyBuckets: new Array<number>(latencyBucketCount).fill(0) };
}

export function hourOf(atMs: number): number {
  return Math.floor(atMs / hourMs) * hourMs;
}

/** The instant the local day containing `atMs` starts in `zone`. */
export function localDayStartOf(atMs: number, zone: LocalZone): number {
  const local = localTimeOf(atMs, zone);
  const midnightAsUtc = Date.UTC(local.year, local.month - 1, local.day);
  return midnightAsUtc - offsetMinutesAt(midnightAsUtc - offsetMinutesAt(atMs, zone) * 60_000, zone) * 60_000;
}

export function latencyBucketOf(latencyMs: number): number {
  const index = latencyBucketBoundsMs.findIndex((bound) => latencyMs <= bound);
  return index === -1 ? latencyBucketBoundsMs.length : index;
}

/** A failed sale: the customer did not pay (declined, or the unknown outcome was reversed). */
export function isFailedOutcome(outcome: string): boolean {
  return outcome === 'declined' || outcome === 'reversed';
}

/** True when the payment is rolled up at all: a purchase that was answered or settled in some way. */
export function isRolledUp(payment: PaymentRecord): boolean {
  return rolledUpKinds.has(payment.kind);
}

/**
 * The contribution of a payment as it is now. `attempts` are the payment's attempts (any order);
 * `rescued` says whether an approved sale of the same card, amount and terminal followed a failure.
 */
export function contributionOf(payment: PaymentRecord, attempts: readonly AttemptRecord[], rescued: boolean, timeZone: LocalZone): RollupContribution {
  const approved = payment.status === 'approved';
  const ordered = [...attempts].sort((a, b) => a.seq - b.seq);
  const last = ordered[ordered.length - 1];
  const cause: string = approved ? 'approved' : (payment.decline?.category ?? 'unknown_outcome');
  const key: RollupKey = {
    hourMs: hourOf(payment.createdAtMs),
    dayMs: localDayStartOf(payment.createdAtMs, timeZone),
    merchantId: payment.merchantId,
    terminalId: payment.terminalId ?? '',
    channel: last?.channel ?? '',
    cause,
    responseCode: approved ? '00' : (payment.decline?.code ?? payment.responseCode ?? ''),
    party: approved ? '' : (payment.decline?.party ?? ''),
    verdict: approved ? 'none' : (payment.decline?.verdict ?? ''),
    cardType: payment.cardType,
    brand: payment.cardBrand,
    outcome: payment.status,
  };
  const values = emptyValues();
  values.payments = 1;
  values.amountMinor = payment.amountMinor;
  values.attempts = ordered.length;
  values.extraAttempts = Math.max(0, ordered.length - 1);
  if (approved && ordered.some((attempt) => attempt.outcome !== 'approved')) {
    values.recovered = 1;
    values.recoveredMinor = payment.amountMinor;
  }
  if (new Set(ordered.map((attempt) => attempt.channel)).size > 1) values.failovers = 1;
  const failed = isFailedOutcome(payment.status);
  if (failed && !rescued) {
    values.lost = 1;
    values.lostMinor = payment.amountMinor;
  }
  if (payment.entryMode === 'fallback') values.fallbacks = 1;
  for (const attempt of ordered) {
    if (attempt.latencyMs === null) continue;
    values.latencyCount += 1;
    values.latencySumMs += attempt.latencyMs;
    values.latencyBuckets[latencyBucketOf(attempt.latencyMs)]! += 1;
  }
  return { key, values, rescued: failed && rescued };
}

/** The same contribution once an approved sale rescued the failure: no longer lost. */
export function rescuedContribution(contribution: RollupContribution): RollupContribution {
  if (contribution.rescued || !isFailedOutcome(contribution.key.outcome)) return contribution;
  return { key: contribution.key, values: { ...contribution.values, latencyBuckets: [...contribution.values.latencyBuckets], lost: 0, lostMinor: 0 }, rescued: true };
}

/** The counters of RollupValues besides the latency buckets, in the order the store's columns list them. */
export const rollupCounterFields = [
  'payments',
  'amountMinor',
  'attempts',
  'extraAttempts',
  'recovered',
  'recoveredMinor',
  'failovers',
  'lost',
  'lostMinor',
  'fallbacks',
  'latencyCount',
  'latencySumMs',
] as const satisfies ReadonlyArray<Exclude<keyof RollupValues, 'latencyBuckets'>>;

/** `into` += sign * `values`, in place. */
export function addValues(into: RollupValues, values: RollupValues, sign: 1 | -1 = 1): RollupValues {
  for (const field of rollupCounterFields) into[field] += sign * values[field];
  for (let i = 0; i < latencyBucketCount; i++) into.latencyBuckets[i] = (into.latencyBuckets[i] ?? 0) + sign * (values.latencyBuckets[i] ?? 0);
  return into;
}

export function isZero(values: RollupValues): boolean {
  return rollupCounterFields.every((field) => values[field] === 0) && values.latencyBuckets.every((count) => count === 0);
}

export function keyText(key: RollupKey): string {
  return [key.hourMs, key.dayMs, key.merchantId, key.terminalId, key.channel, key.cause, key.responseCode, key.party, key.verdict, key.cardType, key.brand, key.outcome].join('\u0001');
}

/** Rollup deltas gathered over a batch, one per key, so a batch writes each touched row once. */
export class RollupDelta {
  readonly #rows = new Map<string, { key: RollupKey; values: RollupValues }>();

  /** Takes back `before` (if any) and adds `after` (if any). */
  replace(before: RollupContribution | null, after: RollupContribution | null): void {
    if (before !== null) this.#add(before.key, before.values, -1);
    if (after !== null) this.#add(after.key, after.values, 1);
  }

  /** The non-zero deltas. */
  rows(): Array<{ key: RollupKey; values: RollupValues }> {
    return [...this.#rows.values()].filter((row) => !isZero(row.values));
  }

  #add(key: RollupKey, values: RollupValues, sign: 1 | -1): void {
    const text = keyText(key);
    let row = this.#rows.get(text);
    if (row === undefined) {
      row = { key, values: emptyValues() };
      this.#rows.set(text, row);
    }
    addValues(row.values, values, sign);
  }
}

/** How long after a failed sale an approval of the same card, amount and terminal still counts as the customer having paid. */
export const rescueWindowMsDefault = 10 * 60_000;


/** Whether `failed` was followed by `approved` (same card, amount, terminal; approved after it within the window). */
export function rescues(approved: RescueFacts, failed: RescueFacts, windowMs: number = rescueWindowMsDefault): boolean {
  return (
    approved.status === 'approved' &&
    isFailedOutcome(failed.status) &&
    approved.panFingerprint === failed.panFingerprint &&
    approved.amountMinor === failed.amountMinor &&
    approved.terminalId === failed.terminalId &&
    approved.createdAtMs > failed.createdAtMs &&
    approved.createdAtMs - failed.createdAtMs <= windowMs
  );
}

/** The five causes of the source article (issue #15), in its order, then `other`. */
export const articleCauses = ['card_data', 'balance', 'network', 'merchant_permission', 'card_status', 'other'] as const;
export type ArticleCause = (typeof articleCauses)[number];

/**
 * Which of the article's five causes a cause category belongs to (docs/analytics.md has the table).
 * PIN errors are the cardholder's data; limits are the account's money; the issuer or switch being
 * unreachable and format/system errors are the network; terminal set-up is the merchant's permission to
 * take the card; fraud and risk refusals are the card's status at the issuer.
 */
export function articleCauseOf(cause: CauseCategory | string): ArticleCause {
  switch (cause) {
    case 'card_data':
    case 'pin':
      return 'card_data';
    case 'insufficient_funds':
    case 'limits':
      return 'balance';
    case 'network':
    case 'issuer_unavailable':
    case 'format_system':
    case 'unknown_outcome':
      return 'network';
    case 'merchant_permission':
    case 'terminal_setup':
      return 'merchant_permission';
    case 'card_status':
    case 'fraud_risk':
      return 'card_status';
    default:
      return 'other';
  }
}

/** Reported for a percentile in the last, open bucket: above the highest bound. */
export const latencyAboveBoundsMs = (latencyBucketBoundsMs[latencyBucketBoundsMs.length - 1] ?? 0) + 1;

/** The percentile `p` (0..100) of a latency histogram: the upper bound of the bucket holding that rank (latencyAboveBoundsMs in the open bucket); null when empty. */
export function percentileOf(buckets: readonly number[], p: number): number | null {
  const total = buckets.reduce((sum, count) => sum + count, 0);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) return latencyBucketBoundsMs[i] ?? latencyAboveBoundsMs;
  }
  return latencyAboveBoundsMs;
}
