// A merchant's standing for one month (docs/standing.md): the decline ratio, the fallback ratio and
// the worst cards against the Visa and Mastercard reattempt limits of the retry rules in force, each
// with its threshold, the share of the threshold used and a state (ok, near, over). Pure: the caller
// loads the month's facts from the store and passes the instant the month is judged at.
import type { CardBrand } from '../vocabulary.ts';
import { responseCodeTable } from '../declines/response-code-table.ts';
import { retryRules as defaultRetryRules, selectEdition, type RetryRules } from '../declines/retry-rules.ts';

export const standingMeasures = ['decline_ratio', 'fallback_ratio', 'visa_reattempts', 'mastercard_declines_24h', 'mastercard_same_amount_reattempts'] as const;
export type StandingMeasure = (typeof standingMeasures)[number];

export const standingStates = ['ok', 'near', 'over'] as const;
export type StandingState = (typeof standingStates)[number];

/** Thresholds of the ratio measures and the warning level (config `standing`, docs/configuration.md). */
export interface StandingSettings {
  /** Upstream declines / upstream sales answered, in basis points, above which the month is `over`. */
  readonly declineRatioMaxBps: number;
  /** Fallback / (chip + fallback) reads, in basis points, above which the month is `over`. */
  readonly fallbackRatioMaxBps: number;
  /** A measure is `near` once it uses this share of its threshold (8000 = 80 %). */
  readonly warnAtShareBps: number;
  /** Below this many sales (answered upstream, or chip reads for the fallback ratio) a ratio stays `ok`: a few sales say nothing. */
  readonly ratioSalesMin: number;
}

/** One upstream decline of a card at this merchant (from the month and the 30 days before it). */
export interface StandingDecline {
  readonly panFingerprint: string;
  readonly cardBrand: CardBrand;
  readonly amountMinor: number;
  readonly responseCode: string | null;
  readonly atMs: number;
}

/** What the store knows of one merchant's month. */
export interface MerchantMonthFacts {
  readonly merchantId: string;
  /** YYYY-MM: the business dates of the month. */
  readonly month: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Sales and pre-authorizations of the month sent upstream, by what came back. */
  readonly upstream: { readonly attempted: number; readonly approved: number; readonly declined: number };
  /** Sales and pre-authorizations of the month by entry mode (`chip`, `fallback`, `swipe`, ...). */
  readonly entries: Readonly<Record<string, number>>;
  /** Upstream declines at this merchant from 30 days before the month to its end (the rules' longest window). */
  readonly declines: readonly StandingDecline[];
  /** True when a read hit its bound, so the counts cover only part of the month. */
  readonly truncated: boolean;
}

export interface StandingCard {
  /** The first 12 hex digits of the card's keyed fingerprint: enough to tell cards apart, never the PAN. */
  readonly fingerprintPrefix: string;
  readonly value: number;
  readonly shareBps: number;
}

export interface StandingMeasureResult {
  readonly measure: StandingMeasure;
  readonly value: number;
  /** `bps` for ratios; `count` for the retry measures (the worst card's peak inside the rule's window). */
  readonly unit: 'bps' | 'count';
  readonly threshold: number;
  /** value / threshold in basis points (10 000 = at the threshold). */
  readonly shareBps: number;
  readonly state: StandingState;
  /** Ratios: the sales the ratio is over; false when there were fewer than ratioSalesMin (state stays ok). */
  readonly enoughSales?: boolean;
  /** Retry measures: the edition of the retry rules in force at `asOfMs`, and the worst cards. */
  readonly edition?: string;
  readonly worstCards?: readonly StandingCard[];
}

export interface MerchantStanding {
  readonly merchantId: string;
  readonly month: string;
  /** The instant the month is judged at: its end, or now while it runs. */
  readonly asOfMs: number;
  readonly measures: readonly StandingMeasureResult[];
  /** The worst state of all measures. */
  readonly state: StandingState;
  readonly truncated: boolean;
}

export const defaultStandingSettings: StandingSettings = Object.freeze({
  declineRatioMaxBps: 1500,
  fallbackRatioMaxBps: 200,
  warnAtShareBps: 8000,
  ratioSalesMin: 100,
});

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** The longest rule window (Visa and Mastercard: 30 days): how far before the month declines are read. */
export const standingHistoryDays = 30;
export const worstCardsMax = 5;
export const fingerprintPrefixLength = 12;

/** value / threshold in basis points, rounded down; a threshold of 0 counts any value as a full share per unit. */
export function shareOfThresholdBps(value: number, threshold: number): number {
  return Math.floor((value * 10_000) / Math.max(threshold, 1));
}

/** over: above the threshold; near: at or above warnAtShareBps of it (at the threshold itself is near, not over). */
export function stateOf(value: number, threshold: number, warnAtShareBps: number): StandingState {
  if (value > threshold) return 'over';
  return shareOfThresholdBps(value, threshold) >= warnAtShareBps && value > 0 ? 'near' : 'ok';
}

function ratioBps(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.floor((part * 10_000) / whole);
}

function ratioMeasure(measure: StandingMeasure, part: number, whole: number, threshold: number, settings: StandingSettings): StandingMeasureResult {
  const value = ratioBps(part, whole);
  const enoughSales = whole >= settings.ratioSalesMin;
  return {
    measure,
    value,
    unit: 'bps',
    threshold,
    shareBps: shareOfThresholdBps(value, threshold),
    state: enoughSales ? stateOf(value, threshold, settings.warnAtShareBps) : 'ok',
    enoughSales,
  };
}

/**
 * The peak count of `times` inside a sliding window (t - windowMs, t], over the windows ending at an
 * instant of `times` inside [fromMs, untilMs]: what the budget check (check-retry-budget.ts) counted at
 * each decline of the month. Earlier times only fill windows.
 */
export function peakInWindow(times: readonly number[], windowMs: number, fromMs: number, untilMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    const t = sorted[end] as number;
    while (t - (sorted[start] as number) >= windowMs) start += 1;
    if (t >= fromMs && t <= untilMs) peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

function retryMeasure(
  measure: StandingMeasure,
  groups: ReadonlyMap<string, { fingerprint: string; times: number[] }>,
  windowMs: number,
  threshold: number,
  edition: string,
  window: { fromMs: number; untilMs: number },
  settings: StandingSettings,
  counts: 'declines' | 'reattempts',
): StandingMeasureResult {
  // A card's value is its worst group (Mastercard's same-amount rule groups a card's declines by amount).
  const byCard = new Map<string, number>();
  for (const group of groups.values()) {
    const declines = peakInWindow(group.times, windowMs, window.fromMs, window.untilMs);
    // A reattempt follows a decline: the first decline of a run was the first attempt, not a reattempt.
    const peak = counts === 'declines' ? declines : Math.max(0, declines - 1);
    if (peak > (byCard.get(group.fingerprint) ?? 0)) byCard.set(group.fingerprint, peak);
  }
  const cards = [...byCard.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, worstCardsMax)
    .map(([fingerprint, value]) => ({ fingerprintPrefix: fingerprint.slice(0, fingerprintPrefixLength), value, shareBps: shareOfThresholdBps(value, threshold) }));
  const value = cards[0]?.value ?? 0;
  return { measure, value, unit: 'count', threshold, shareBps: shareOfThresholdBps(value, threshold), state: stateOf(value, threshold, settings.warnAtShareBps), edition, worstCards: cards };
}

function addTo(groups: Map<string, { fingerprint: string; times: number[] }>, key: string, fingerprint: string, atMs: number): void {
  const group = groups.get(key);
  if (group === undefined) groups.set(key, { fingerprint, times: [atMs] });
  else group.times.push(atMs);
}

const stateRank: Record<StandingState, number> = { ok: 0, near: 1, over: 2 };

/** The month's standing at `asOfMs` (clamped into the month: a past month is judged at its end). */
export function computeMerchantStanding(facts: MerchantMonthFacts, asOfMs: number, settings: StandingSettings = defaultStandingSettings, rules: RetryRules = defaultRetryRules): MerchantStanding {
  const untilMs = Math.min(Math.max(asOfMs, facts.fromMs), facts.toMs - 1);
  const window = { fromMs: facts.fromMs, untilMs };
  const answered = facts.upstream.approved + facts.upstream.declined;
  const chip = facts.entries.chip ?? 0;
  const fallback = facts.entries.fallback ?? 0;

  const visa = selectEdition('visa', rules.visa, untilMs);
  const mastercard = selectEdition('mastercard', rules.mastercard, untilMs);
  const visaCards = new Map<string, { fingerprint: string; times: number[] }>();
  const mastercardCards = new Map<string, { fingerprint: string; times: number[] }>();
  const mastercardSameAmount = new Map<string, { fingerprint: string; times: number[] }>();
  for (const decline of facts.declines) {
    if (decline.atMs > untilMs || decline.atMs < facts.fromMs - standingHistoryDays * dayMs) continue;
    if (decline.cardBrand === 'visa') {
      // Category 1 declines are never reattempted (the gateway blocks them); 2 to 4 share the budget.
      const code = (decline.responseCode ?? '').toUpperCase();
      const category = responseCodeTable.byCode.get(code)?.visaCategory[visa.categoryList] ?? 4;
      if (category !== null && category !== 1) addTo(visaCards, decline.panFingerprint, decline.panFingerprint, decline.atMs);
    } else if (decline.cardBrand === 'mastercard') {
      addTo(mastercardCards, decline.panFingerprint, decline.panFingerprint, decline.atMs);
      addTo(mastercardSameAmount, `${decline.panFingerprint}:${decline.amountMinor}`, decline.panFingerprint, decline.atMs);
    }
  }

  const measures: StandingMeasureResult[] = [
    ratioMeasure('decline_ratio', facts.upstream.declined, answered, settings.declineRatioMaxBps, settings),
    ratioMeasure('fallback_ratio', fallback, chip + fallback, settings.fallbackRatioMaxBps, settings),
    retryMeasure('visa_reattempts', visaCards, visa.categories2to4.windowDays * dayMs, visa.categories2to4.reattemptsMax, visa.edition, window, settings, 'reattempts'),
    retryMeasure('mastercard_declines_24h', mastercardCards, mastercard.declinesWindowHours * hourMs, mastercard.declinesMax, mastercard.edition, window, settings, 'declines'),
    retryMeasure(
      'mastercard_same_amount_reattempts',
      mastercardSameAmount,
      mastercard.sameMerchantAmountWindowDays * dayMs,
      mastercard.sameMerchantAmountReattemptsMax,
      mastercard.edition,
      window,
      settings,
      'reattempts',
    ),
  ];
  const state = measures.reduce<StandingState>((worst, measure) => (stateRank[measure.state] > stateRank[worst] ? measure.state : worst), 'ok');
  return { merchantId: facts.merchantId, month: facts.month, asOfMs: untilMs, measures, state, truncated: facts.truncated };
}

/**
 * The events a check raises for a measure, given what was raised before for this merchant, measure and
 * month: `near` once when it first reaches near (or straight over: then only `over`), `over` once.
 */
export function standingEventsDue(state: StandingState, raised: { near: boolean; over: boolean }): Array<'merchant.standing_near' | 'merchant.standing_over'> {
  switch (state) {
    case 'ok':
      return [];
    case 'near':
      return raised.near || raised.over ? [] : ['merchant.standing_near'];
    case 'over':
      return raised.over ? [] : ['merchant.standing_over'];
  }
}
