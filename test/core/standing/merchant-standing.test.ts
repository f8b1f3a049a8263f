// Goal: a merchant's monthly standing follows docs/standing.md: ratios against their configured
// thresholds with near at warnAtShareBps and over only above the threshold, no verdict on too few sales,
// the retry measures against the retry-rules edition in force at the month's instant, worst cards named
// by a fingerprint prefix only, and each event raised once. Method: hand-built facts through the pure
// computeMerchantStanding, peakInWindow and standingEventsDue, with edges on both sides of each bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeMerchantStanding,
  defaultStandingSettings,
  peakInWindow,
  standingEventsDue,
  stateOf,
  type MerchantMonthFacts,
  type StandingDecline,
  type StandingMeasure,
  type StandingSettings,
} from '../../../src/core/standing/merchant-standing.ts';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const settings: StandingSettings = { declineRatioMaxBps: 1500, fallbackRatioMaxBps: 200, warnAtShareBps: 8000, ratioSalesMin: 100 };
const march = { month: '2026-03', fromMs: Date.UTC(2026, 2, 1), toMs: Date.UTC(2026, 3, 1) };
const april = { month: '2026-04', fromMs: Date.UTC(2026, 3, 1), toMs: Date.UTC(2026, 4, 1) };
const cardA = 'a'.repeat(64);
const cardB = 'b'.repeat(64);

function facts(month: typeof march, overrides: Partial<MerchantMonthFacts> = {}): MerchantMonthFacts {
  return { merchantId: 'M1', ...month, upstream: { attempted: 0, approved: 0, declined: 0 }, entries: {}, declines: [], truncated: false, ...overrides };
}

function declinesOf(card: string, brand: StandingDecline['cardBrand'], startMs: number, count: number, stepMs: number, code = '51', amountMinor = 1000): StandingDecline[] {
  return Array.from({ length: count }, (_, index) => ({ panFingerprint: card, cardBrand: brand, amountMinor, responseCode: code, atMs: startMs + index * stepMs }));
}

function measureOf(result: ReturnType<typeof computeMerchantStanding>, measure: StandingMeasure) {
  const found = result.measures.find((entry) => entry.measure === measure);
  assert.ok(found, measure);
  return found;
}

test('stateOf: near from the warning share up to the threshold itself, over only above it', () => {
  const rows: Array<[number, number, string]> = [
    [0, 1500, 'ok'],
    [1199, 1500, 'ok'],
    [1200, 1500, 'near'],
    [1500, 1500, 'near'],
    [1501, 1500, 'over'],
    [7, 10, 'ok'],
    [8, 10, 'near'],
    [10, 10, 'near'],
    [11, 10, 'over'],
  ];
  for (const [value, threshold, state] of rows) assert.equal(stateOf(value, threshold, 8000), state, `${value} of ${threshold}`);
});

test('decline ratio: declines over answered upstream sales, judged only from ratioSalesMin sales', () => {
  const near = computeMerchantStanding(facts(march, { upstream: { attempted: 101, approved: 88, declined: 12 } }), march.toMs, settings);
  const decline = measureOf(near, 'decline_ratio');
  assert.deepEqual({ value: decline.value, threshold: decline.threshold, shareBps: decline.shareBps, state: decline.state, enoughSales: decline.enoughSales }, { value: 1200, threshold: 1500, shareBps: 8000, state: 'near', enoughSales: true });
  const over = measureOf(computeMerchantStanding(facts(march, { upstream: { attempted: 100, approved: 84, declined: 16 } }), march.toMs, settings), 'decline_ratio');
  assert.equal(over.state, 'over');
  const few = measureOf(computeMerchantStanding(facts(march, { upstream: { attempted: 99, approved: 50, declined: 49 } }), march.toMs, settings), 'decline_ratio');
  assert.deepEqual({ value: few.value, state: few.state, enoughSales: few.enoughSales }, { value: 4949, state: 'ok', enoughSales: false });
});

test('fallback ratio: fallback over chip plus fallback reads, swipes and taps left out', () => {
  const result = computeMerchantStanding(facts(march, { entries: { chip: 980, fallback: 20, swipe: 500, contactless: 500 } }), march.toMs, settings);
  const fallback = measureOf(result, 'fallback_ratio');
  assert.deepEqual({ value: fallback.value, state: fallback.state }, { value: 200, state: 'near' });
  const over = measureOf(computeMerchantStanding(facts(march, { entries: { chip: 970, fallback: 30 } }), march.toMs, settings), 'fallback_ratio');
  assert.deepEqual({ value: over.value, state: over.state }, { value: 300, state: 'over' });
  assert.equal(measureOf(computeMerchantStanding(facts(march, { entries: { chip: 900, fallback: 10 } }), march.toMs, settings), 'fallback_ratio').state, 'ok');
});

test('Visa reattempts follow the edition in force: 16 reattempts are over 15 in March 2026 and near 20 in April 2026', () => {
  // 17 declines of one card a day apart: the first was the first attempt, 16 were reattempts.
  const marchResult = computeMerchantStanding(facts(march, { declines: declinesOf(cardA, 'visa', march.fromMs + hourMs, 17, dayMs) }), march.toMs, settings);
  const inMarch = measureOf(marchResult, 'visa_reattempts');
  assert.deepEqual({ value: inMarch.value, threshold: inMarch.threshold, edition: inMarch.edition, state: inMarch.state }, { value: 16, threshold: 15, edition: '2024-04', state: 'over' });
  const aprilResult = computeMerchantStanding(facts(april, { declines: declinesOf(cardA, 'visa', april.fromMs + hourMs, 17, dayMs) }), april.toMs, settings);
  const inApril = measureOf(aprilResult, 'visa_reattempts');
  assert.deepEqual({ value: inApril.value, threshold: inApril.threshold, edition: inApril.edition, shareBps: inApril.shareBps, state: inApril.state }, { value: 16, threshold: 20, edition: '2026-04', shareBps: 8000, state: 'near' });
  assert.equal(aprilResult.state, 'near');
});

test('Visa category 1 declines do not count against the categories 2-4 reattempt limit; other brands not at all', () => {
  const declines = [...declinesOf(cardA, 'visa', april.fromMs, 18, hourMs, '04'), ...declinesOf(cardB, 'unionpay', april.fromMs, 30, hourMs)];
  const result = computeMerchantStanding(facts(april, { declines }), april.toMs, settings);
  assert.equal(measureOf(result, 'visa_reattempts').value, 0);
  assert.equal(measureOf(result, 'mastercard_declines_24h').value, 0);
  assert.equal(result.state, 'ok');
});

test('Mastercard: declines per card in 24 h against 10, and reattempts per card and amount in 30 days against 35', () => {
  const eight = computeMerchantStanding(facts(april, { declines: declinesOf(cardA, 'mastercard', april.fromMs, 8, hourMs) }), april.toMs, settings);
  assert.deepEqual(
    { value: measureOf(eight, 'mastercard_declines_24h').value, threshold: measureOf(eight, 'mastercard_declines_24h').threshold, state: measureOf(eight, 'mastercard_declines_24h').state },
    { value: 8, threshold: 10, state: 'near' },
  );
  const spread = computeMerchantStanding(facts(april, { declines: declinesOf(cardA, 'mastercard', april.fromMs, 8, 4 * hourMs) }), april.toMs, settings);
  assert.equal(measureOf(spread, 'mastercard_declines_24h').value, 6, '8 declines 4 h apart: at most 6 in any 24 h');
  const eleven = computeMerchantStanding(facts(april, { declines: declinesOf(cardA, 'mastercard', april.fromMs, 11, hourMs) }), april.toMs, settings);
  assert.equal(measureOf(eleven, 'mastercard_declines_24h').state, 'over');
  // 30 declines of one amount and 30 of another, a day apart in pairs: per amount 29 reattempts, not 59.
  const twoAmounts = [...declinesOf(cardA, 'mastercard', april.fromMs, 30, 20 * hourMs, '51', 1000), ...declinesOf(cardA, 'mastercard', april.fromMs + hourMs, 30, 20 * hourMs, '51', 2000)];
  const same = measureOf(computeMerchantStanding(facts(april, { declines: twoAmounts }), april.toMs, settings), 'mastercard_same_amount_reattempts');
  assert.deepEqual({ value: same.value, threshold: same.threshold, state: same.state }, { value: 29, threshold: 35, state: 'near' });
});

test('declines before the month fill its windows, but a window that ended before the month is not this month', () => {
  // 12 Mastercard declines in the hours before the month began, then 2 in its first hour.
  const before = declinesOf(cardA, 'mastercard', april.fromMs - 12 * hourMs, 12, hourMs);
  const onlyBefore = computeMerchantStanding(facts(april, { declines: before }), april.toMs, settings);
  assert.equal(measureOf(onlyBefore, 'mastercard_declines_24h').value, 0);
  const withTwo = computeMerchantStanding(facts(april, { declines: [...before, ...declinesOf(cardA, 'mastercard', april.fromMs + 60_000, 2, 60_000)] }), april.toMs, settings);
  assert.equal(measureOf(withTwo, 'mastercard_declines_24h').value, 14);
  assert.equal(measureOf(withTwo, 'mastercard_declines_24h').state, 'over');
});

test('peakInWindow counts (t - window, t] at each instant inside the period', () => {
  assert.equal(peakInWindow([0, 10, 20, 30], 20, 0, 100), 2, 'a time exactly one window back has left it');
  assert.equal(peakInWindow([0, 10, 20, 30], 21, 0, 100), 3);
  assert.equal(peakInWindow([30, 0, 20, 10], 21, 0, 100), 3, 'any order');
  assert.equal(peakInWindow([0, 10, 20, 30], 21, 25, 100), 3, 'windows ending inside the period count earlier times');
  assert.equal(peakInWindow([0, 10, 20, 30], 21, 0, 15), 2, 'later times are not yet');
  assert.equal(peakInWindow([], 21, 0, 100), 0);
});

test('worst cards: at most five, worst first, named by a 12-digit fingerprint prefix only', () => {
  const cards = ['1', '2', '3', '4', '5', '6', '7'].map((digit) => digit.repeat(64));
  const declines = cards.flatMap((card, index) => declinesOf(card, 'mastercard', april.fromMs, index + 1, hourMs));
  const measure = measureOf(computeMerchantStanding(facts(april, { declines }), april.toMs, settings), 'mastercard_declines_24h');
  assert.deepEqual(measure.worstCards?.map((card) => [card.fingerprintPrefix, card.value]), [['777777777777', 7], ['666666666666', 6], ['555555555555', 5], ['444444444444', 4], ['333333333333', 3]]);
  assert.ok(!JSON.stringify(measure).includes('7'.repeat(13)), 'never the whole fingerprint');
});

test('a past month is judged at its end; a running month at now, so later declines are not counted yet', () => {
  const declines = declinesOf(cardA, 'mastercard', april.fromMs + 10 * dayMs, 9, hourMs);
  const past = computeMerchantStanding(facts(april, { declines }), april.toMs + 40 * dayMs, settings);
  assert.equal(past.asOfMs, april.toMs - 1);
  assert.equal(measureOf(past, 'mastercard_declines_24h').value, 9);
  const running = computeMerchantStanding(facts(april, { declines }), april.fromMs + 10 * dayMs + 2 * hourMs, settings);
  assert.equal(measureOf(running, 'mastercard_declines_24h').value, 3);
  assert.equal(measureOf(running, 'mastercard_declines_24h').state, 'ok');
});

test('the defaults are the documented ones', () => {
  assert.deepEqual({ ...defaultStandingSettings }, { declineRatioMaxBps: 1500, fallbackRatioMaxBps: 200, warnAtShareBps: 8000, ratioSalesMin: 100 });
});

test('standingEventsDue: near once, over once, straight to over raises over only', () => {
  const none = { near: false, over: false };
  assert.deepEqual(standingEventsDue('ok', none), []);
  assert.deepEqual(standingEventsDue('near', none), ['merchant.standing_near']);
  assert.deepEqual(standingEventsDue('near', { near: true, over: false }), []);
  assert.deepEqual(standingEventsDue('over', none), ['merchant.standing_over']);
  assert.deepEqual(standingEventsDue('over', { near: true, over: false }), ['merchant.standing_over']);
  assert.deepEqual(standingEventsDue('over', { near: true, over: true }), []);
  assert.deepEqual(standingEventsDue('near', { near: false, over: true }), [], 'back under the threshold after over: no near');
});
