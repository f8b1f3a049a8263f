// Goal: the rollup arithmetic keeps the hourly counters equal to the sum of every sale's CURRENT
// contribution however a payment changes and however often it is re-projected; the contribution of a
// payment says what the docs say (recovered, lost, failover, latency buckets); the article's five causes,
// percentiles, rescue rule and CSV helpers hold their contracts.
// Method: examples, and a fast-check property over random payment histories with status changes,
// rescues, skipped and repeated projections, compared with a direct recomputation from the final states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  articleCauseOf,
  contributionOf,
  emptyValues,
  addValues,
  keyText,
  latencyAboveBoundsMs,
  percentileOf,
  rescuedContribution,
  rescues,
  RollupDelta,
  type RollupContribution,
  type RollupValues,
} from '../../../src/core/analytics/rollup.ts';
import { articleCauseShares, csvOf, tallyRows, yuanOf } from '../../../src/core/analytics/analytics-report.ts';
import { dateRange, previousRange } from '../../../src/core/analytics/analytics-range.ts';
import type { AttemptRecord, PaymentRecord, StoredDecline } from '../../../src/core/ports/store.ts';
import { causeCategories } from '../../../src/core/vocabulary.ts';

const hourMs = 3_600_000;
const zone = 'Asia/Shanghai';
const baseMs = Date.parse('2026-12-01T00:00:00Z');

function paymentOf(id: string, overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    id, kind: 'sale', status: 'approved', intake: 'http', merchantId: 'M1', terminalId: 'T1', amountMinor: 1_000, currency: 'CNY',
    panFingerprint: 'card-1', panMasked: '622202******0018', cardBrand: 'unionpay', cardType: 'debit', cardIssuer: null, entryMode: 'chip',
    terminalStan: null, terminalTransmittedAt: null, reference: null, originalPaymentId: null, responseCode: '00', authCode: 'A1', rrn: 'R1',
    decline: null, createdAtMs: baseMs + 90 * 60_000, updatedAtMs: baseMs + 90 * 60_000, version: 1, ...overrides,
  };
}

function declineOf(code: string, category: StoredDecline['category']): StoredDecline {
  return { code, category, party: 'cardholder', verdict: 'fix', waitSeconds: null, advice: { cashier: { zh: '-', en: '-' }, customer: { zh: '-', en: '-' } } };
}

function attemptOf(paymentId: string, seq: number, channel: string, outcome: AttemptRecord['outcome'], latencyMs: number | null): AttemptRecord {
  return { id: `${paymentId}-${seq}`, paymentId, seq, channel, mti: '0200', stan: String(seq).padStart(6, '0'), transmittedAt: '1201000000', processingCode: '000000', upstreamTerminalId: 'T1', outcome, responseCode: null, authCode: null, rrn: null, latencyMs, sentAtMs: null, completedAtMs: null, createdAtMs: baseMs };
}

test('an approval after a failed attempt on another channel is recovered, a failover, and its latencies fall in their buckets', () => {
  const payment = paymentOf('p1');
  const c = contributionOf(payment, [attemptOf('p1', 2, 'bank-b', 'approved', 120), attemptOf('p1', 1, 'bank-a', 'not_sent', null)], false, zone);
  assert.equal(c.key.hourMs, baseMs + hourMs, 'the UTC hour the sale was created in');
  assert.deepEqual([c.key.channel, c.key.cause, c.key.outcome, c.key.party], ['bank-b', 'approved', 'approved', '']);
  assert.deepEqual([c.values.attempts, c.values.extraAttempts, c.values.recovered, c.values.recoveredMinor, c.values.failovers], [2, 1, 1, 1_000, 1]);
  assert.deepEqual([c.values.latencyCount, c.values.latencySumMs, c.values.latencyBuckets[2]], [1, 120, 1], '120 ms is in the 100-200 ms bucket; the unanswered attempt has no latency');
  assert.equal(c.values.lost, 0);
});

test('a decline is lost until an approval of the same card, amount and terminal rescues it', () => {
  const declined = paymentOf('p2', { status: 'declined', responseCode: '51', decline: declineOf('51', 'insufficient_funds') });
  const lost = contributionOf(declined, [attemptOf('p2', 1, 'bank-a', 'declined', 80)], false, zone);
  assert.deepEqual([lost.key.cause, lost.key.responseCode, lost.key.party, lost.values.lost, lost.values.lostMinor, lost.rescued], ['insufficient_funds', '51', 'cardholder', 1, 1_000, false]);
  const saved = rescuedContribution(lost);
  assert.deepEqual([saved.values.lost, saved.values.lostMinor, saved.rescued, saved.values.payments], [0, 0, true, 1]);
  assert.equal(rescuedContribution(contributionOf(paymentOf('p3'), [], false, zone)).rescued, false, 'an approval is never rescued');
  const approval = { panFingerprint: 'card-1', amountMinor: 1_000, terminalId: 'T1', createdAtMs: declined.createdAtMs + 60_000, status: 'approved' };
  assert.equal(rescues(approval, declined), true);
  assert.equal(rescues({ ...approval, createdAtMs: declined.createdAtMs + 11 * 60_000 }, declined), false, 'outside the 10-minute window');
  assert.equal(rescues({ ...approval, amountMinor: 999 }, declined), false, 'another amount');
  assert.equal(rescues({ ...approval, terminalId: 'T2' }, declined), false, 'another terminal');
  assert.equal(rescues({ ...approval, createdAtMs: declined.createdAtMs - 1 }, declined), false, 'an approval before the failure');
});

test('every cause category maps to one of the article five causes or other', () => {
  const mapped = Object.fromEntries(causeCategories.map((category) => [category, articleCauseOf(category)]));
  assert.deepEqual(mapped, {
    approved: 'other', card_data: 'card_data', insufficient_funds: 'balance', network: 'network', merchant_permission: 'merchant_permission', card_status: 'card_status',
    fraud_risk: 'card_status', pin: 'card_data', limits: 'balance', issuer_unavailable: 'network', terminal_setup: 'merchant_permission', duplicate: 'other',
    original_txn: 'other', format_system: 'network', referral: 'other', reserved: 'other', other: 'other',
  });
  assert.equal(articleCauseOf('unknown_outcome'), 'network', 'a reversed unknown outcome is a network failure');
});

test('percentiles read the upper bound of the bucket holding the rank; the open bucket reads above the bounds', () => {
  const buckets = new Array<number>(12).fill(0);
  assert.equal(percentileOf(buckets, 50), null);
  buckets[0] = 50; // <= 50 ms
  buckets[3] = 45; // <= 300 ms
  buckets[11] = 5; // > 10 s
  assert.deepEqual([percentileOf(buckets, 50), percentileOf(buckets, 51), percentileOf(buckets, 95), percentileOf(buckets, 99)], [50, 300, 300, latencyAboveBoundsMs]);
});

test('tallies, the article-cause fold, yuan and CSV', () => {
  const approved = contributionOf(paymentOf('a'), [], false, zone);
  const declined = contributionOf(paymentOf('d', { status: 'declined', amountMinor: 250, decline: declineOf('14', 'card_data') }), [], false, zone);
  const tally = tallyRows([approved, declined].map((c) => ({ group: { outcome: c.key.outcome }, values: c.values })));
  assert.deepEqual([tally.sales, tally.salesMinor, tally.failures, tally.failuresMinor, tally.approvalRateBps, tally.lost], [1, 1_000, 1, 250, 5_000, 1]);
  const shares = articleCauseShares(new Map([['card_data', tally], ['approved', { ...tally, failures: 0 }]]));
  assert.deepEqual(shares.map((share) => [share.name, share.failures, share.shareBps]), [['card_data', 1, 10_000], ['balance', 0, 0], ['network', 0, 0], ['merchant_permission', 0, 0], ['card_status', 0, 0], ['other', 0, 0]]);
  assert.deepEqual([yuanOf(12_345), yuanOf(5), yuanOf(-5), yuanOf(0)], ['123.45', '0.05', '-0.05', '0.00']);
  assert.equal(csvOf(['a', 'b'], [['x,y', '=1+1'], ['余额', 2]]), '\uFEFFa,b\r\n"x,y",\'=1+1\r\n余额,2\r\n');
});

test('ranges: inclusive local dates, bounded per interval, and the previous period of the same length', () => {
  const range = dateRange('2026-12-01', '2026-12-03', 'Asia/Shanghai', 'day');
  assert.ok(!('error' in range));
  assert.deepEqual([new Date(range.fromMs).toISOString(), new Date(range.toMs).toISOString(), range.days], ['2026-11-30T16:00:00.000Z', '2026-12-03T16:00:00.000Z', 3]);
  const previous = previousRange(range);
  assert.deepEqual([new Date(previous.fromMs).toISOString(), new Date(previous.toMs).toISOString()], ['2026-11-27T16:00:00.000Z', '2026-11-30T16:00:00.000Z']);
  assert.ok('error' in dateRange('2026-12-03', '2026-12-01', 'Asia/Shanghai', 'day'));
  assert.ok('error' in dateRange('2026-12-01', '2026-12-08', 'Asia/Shanghai', 'hour'), 'at most 7 days by hour');
  assert.ok(!('error' in dateRange('2026-12-01', '2026-12-07', 'Asia/Shanghai', 'hour')));
});

// ---- property: incremental rollup == direct recomputation ----

const statusPaths: ReadonlyArray<readonly PaymentRecord['status'][]> = [
  ['approved'],
  ['declined'],
  ['pending', 'approved'],
  ['approved', 'voided'],
  ['pending', 'reversed'],
  ['approved', 'reversed'],
  ['pending', 'declined'],
];

interface Version {
  payment: PaymentRecord;
  attempts: AttemptRecord[];
  rescued: boolean;
}

const historyArbitrary = fc.array(
  fc.record({
    path: fc.integer({ min: 0, max: statusPaths.length - 1 }),
    hour: fc.integer({ min: 0, max: 3 }),
    terminal: fc.constantFrom('T1', 'T2', null),
    amount: fc.integer({ min: 1, max: 5_000 }),
    cause: fc.constantFrom(...causeCategories.filter((c) => c !== 'approved')),
    channels: fc.array(fc.constantFrom('bank-a', 'bank-b'), { minLength: 0, maxLength: 3 }),
    latency: fc.integer({ min: 1, max: 20_000 }),
    rescuedLater: fc.boolean(),
  }),
  { minLength: 1, maxLength: 8 },
);

function versionsOf(index: number, spec: { path: number; hour: number; terminal: string | null; amount: number; cause: StoredDecline['category']; channels: string[]; latency: number; rescuedLater: boolean }): Version[] {
  const id = `p${index}`;
  const statuses = statusPaths[spec.path] ?? ['approved'];
  const versions: Version[] = [];
  statuses.forEach((status, step) => {
    const attempts = spec.channels.map((channel, seq) => attemptOf(id, seq + 1, channel, seq === spec.channels.length - 1 && status === 'approved' ? 'approved' : 'declined', spec.latency + seq));
    const payment = paymentOf(id, {
      status,
      terminalId: spec.terminal,
      amountMinor: spec.amount,
      createdAtMs: baseMs + spec.hour * hourMs + index,
      decline: status === 'approved' || status === 'pending' ? null : declineOf('05', spec.cause),
      version: step + 1,
    });
    versions.push({ payment, attempts, rescued: false });
  });
  // A failure may later be rescued by an approval (a later "version" of its contribution).
  const last = versions[versions.length - 1]!;
  if (spec.rescuedLater && (last.payment.status === 'declined' || last.payment.status === 'reversed')) versions.push({ ...last, rescued: true });
  return versions;
}

function contributionOfVersion(version: Version): RollupContribution {
  return contributionOf(version.payment, version.attempts, version.rescued, zone);
}

function sumByKey(contributions: Iterable<{ key: RollupContribution['key']; values: RollupValues }>): Map<string, RollupValues> {
  const sums = new Map<string, RollupValues>();
  for (const { key, values } of contributions) {
    const text = keyText(key);
    sums.set(text, addValues(sums.get(text) ?? emptyValues(), values));
  }
  for (const [text, values] of sums) if (isZeroValues(values)) sums.delete(text);
  return sums;
}

function isZeroValues(values: RollupValues): boolean {
  return Object.values(values).every((v) => (Array.isArray(v) ? v.every((x) => x === 0) : v === 0));
}

test('property: projecting versions in any journal order, skipping and repeating some, leaves the rollup equal to the sum of the final contributions', () => {
  fc.assert(
    fc.property(historyArbitrary, fc.array(fc.nat(), { minLength: 0, maxLength: 40 }), (specs, schedule) => {
      const histories = specs.map((spec, index) => versionsOf(index, spec));
      const rollup = new Map<string, RollupValues>();
      const recorded = new Map<string, RollupContribution>();
      const projected = histories.map(() => -1);
      const project = (index: number, versionIndex: number) => {
        const version = histories[index]![versionIndex]!;
        const delta = new RollupDelta();
        const after = contributionOfVersion(version);
        delta.replace(recorded.get(version.payment.id) ?? null, after);
        recorded.set(version.payment.id, after);
        for (const row of delta.rows()) {
          const text = keyText(row.key);
          rollup.set(text, addValues(rollup.get(text) ?? emptyValues(), row.values));
        }
      };
      // The journal shows a payment at some version at or after the last one projected (a crash repeats it).
      for (const pick of schedule) {
        const index = pick % histories.length;
        const versions = histories[index]!;
        const from = Math.max(0, projected[index]!);
        const versionIndex = Math.min(versions.length - 1, from + (Math.floor(pick / histories.length) % 2));
        project(index, versionIndex);
        projected[index] = versionIndex;
      }
      // ... and eventually at its final version.
      histories.forEach((versions, index) => project(index, versions.length - 1));
      const expected = sumByKey(histories.map((versions) => contributionOfVersion(versions[versions.length - 1]!)));
      const actual = new Map([...rollup].filter(([, values]) => !isZeroValues(values)));
      assert.deepEqual(actual, expected);
    }),
    { numRuns: 300 },
  );
});
