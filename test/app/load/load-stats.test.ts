// Goal: the load report's numbers are right and its memory is bounded. Method: nearest-rank percentiles on a table of small samples, a run of more samples than the reservoir holds checked against the known uniform distribution, and the target and card-pool parsers on tables of good and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { formatLoadReport, LoadStats, latencySamplesMax, percentile } from '../../../src/app/load/load-stats.ts';
import { cardPool, parseTarget } from '../../../src/app/load/run-load.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

test('nearest-rank percentiles', () => {
  const rows: Array<[number[], number, number]> = [
    [[], 50, 0],
    [[7], 99, 7],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 75, 3],
    [[1, 2, 3, 4], 100, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
  ];
  for (const [samples, p, expected] of rows) assert.equal(percentile(samples, p), expected, `p${p} of ${samples.join(',')}`);
});

test('counts by code and verdict add up, and the report orders them by count', () => {
  const stats = new LoadStats(new SeededRandom(1));
  stats.sent = 5;
  stats.record(10, '00', 'none', true);
  stats.record(20, '00', 'none', true);
  stats.record(30, '51', 'fix', true);
  stats.record(40, '00', 'none', true);
  stats.record(500, 'no_answer', 'none_given', false);
  const report = stats.report({ target: 'iso://127.0.0.1:1', mode: 'concurrency', level: 2, durationSeconds: 1, elapsedMs: 2_000 });
  assert.deepEqual(report.byCode, { '00': 3, '51': 1, no_answer: 1 });
  assert.deepEqual(Object.keys(report.byVerdict), ['none', 'fix', 'none_given']);
  assert.equal(report.answered, 4);
  assert.equal(report.failed, 1);
  assert.equal(report.throughputPerSecond, 2);
  assert.deepEqual(report.latencyMs, { p50: 30, p90: 500, p99: 500, max: 500, mean: 120 });
  const text = formatLoadReport(report);
  assert.match(text, /throughput +2 answers\/s/);
  assert.match(text, /p50 30 +p90 500 +p99 500 +max 500/);
  assert.match(text, /00 +3 \(60\.0 %\)/);
});

test('more samples than the reservoir holds keep percentiles close to the truth and max exact', () => {
  const stats = new LoadStats(new SeededRandom(42));
  const count = latencySamplesMax + 100_000;
  for (let index = 1; index <= count; index++) stats.record(index, '00', 'none', true);
  const report = stats.report({ target: 'x', mode: 'rate', level: 1, durationSeconds: 1, elapsedMs: 1_000 });
  assert.ok(report.latencyMs !== null);
  assert.equal(report.latencyMs.max, count);
  for (const [p, value] of [[50, report.latencyMs.p50], [90, report.latencyMs.p90]] as const) {
    const expected = (p / 100) * count;
    assert.ok(Math.abs(value - expected) < count * 0.01, `p${p} ${value} is within 1 % of ${expected}`);
  }
});

test('targets: iso:// and http:// are accepted, anything else names --target', () => {
  assert.deepEqual(parseTarget('iso://127.0.0.1:8583'), { kind: 'iso', host: '127.0.0.1', port: 8583, text: 'iso://127.0.0.1:8583' });
  assert.deepEqual(parseTarget('http://localhost:8080/'), { kind: 'http', baseUrl: 'http://localhost:8080', text: 'http://localhost:8080/' });
  for (const bad of ['127.0.0.1:8583', 'iso://host', 'iso://host:0', 'tcp://host:1', 'http://host:1/v1/payments']) {
    assert.throws(() => parseTarget(bad), (error) => isReswipeError(error, 'RSW_BAD_ARGUMENT') && error.field === 'target', bad);
  }
});

test('card pools: ok, mix, or known test-card ids', () => {
  assert.equal(cardPool('ok').declineShare, 0);
  assert.ok(cardPool('mix').declineShare > 0);
  assert.deepEqual(cardPool('icbc-debit-ok, visa-credit-ok').ids, ['icbc-debit-ok', 'visa-credit-ok']);
  assert.throws(() => cardPool('icbc-debit-ok,platinum'), (error) => isReswipeError(error, 'RSW_BAD_ARGUMENT') && error.field === 'cards' && /platinum/.test(error.message));
  assert.throws(() => cardPool(','), (error) => isReswipeError(error, 'RSW_BAD_ARGUMENT'));
});
