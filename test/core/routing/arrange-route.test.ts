// Goal: arrangeRoute orders a sale's channels by circuit exactly as docs/channel-health.md says: closed in
// place, half-open trials at a bounded rate, and an open channel only as the route's last reachable one
// (bounded by the trials in flight, not spaced).
// Method: one table row per situation through the pure function, at a fixed instant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrangeRoute, type ChannelAdmission } from '../../../src/core/routing/arrange-route.ts';
import { initialChannelHealth, recordSignal, type BreakerSettings } from '../../../src/core/routing/channel-health.ts';

const settings: BreakerSettings = { failuresMax: 3, windowMs: 10_000, windowAttemptsMin: 6, failureRateMaxBps: 5_000, openMs: 5_000, halfOpenSuccessesMin: 2, trialIntervalMs: 100, trialsInFlightMax: 2 };
const nowMs = 50_000;

function channel(name: string, circuit: ChannelAdmission['circuit'], more: Partial<ChannelAdmission> = {}): ChannelAdmission {
  return { name, circuit, trialsUntilMs: [], lastTrialAtMs: null, reachable: true, ...more };
}

const rows: Array<[name: string, route: ChannelAdmission[], channels: string[], trial: string | null, lastResort: boolean]> = [
  ['closed channels in their order', [channel('a', 'closed'), channel('b', 'closed')], ['a', 'b'], null, false],
  ['an open channel is left out while another is closed', [channel('a', 'open'), channel('b', 'closed')], ['b'], null, false],
  ['half-open at the head takes a trial', [channel('a', 'half_open'), channel('b', 'closed')], ['a', 'b'], 'a', false],
  ['half-open behind a closed one is its fallback, no trial taken', [channel('b', 'closed'), channel('a', 'half_open')], ['b', 'a'], null, false],
  ['half-open too soon after its last trial goes after the closed ones', [channel('a', 'half_open', { lastTrialAtMs: nowMs - 50 }), channel('b', 'closed')], ['b', 'a'], null, false],
  ['half-open too soon, nothing else, not reachable: the rate bound holds', [channel('a', 'half_open', { lastTrialAtMs: nowMs - 50, reachable: false })], [], null, false],
  ['half-open too soon but the route\'s last reachable channel: a trial, not a refusal', [channel('a', 'half_open', { lastTrialAtMs: nowMs - 50 })], ['a'], 'a', false],
  ['half-open with every trial slot taken', [channel('a', 'half_open', { trialsUntilMs: [nowMs + 1, nowMs + 2] })], [], null, false],
  ['expired trial slots are free again', [channel('a', 'half_open', { trialsUntilMs: [nowMs, nowMs - 1] })], ['a'], 'a', false],
  ['every channel open: the first reachable one is probed', [channel('a', 'open', { reachable: false }), channel('b', 'open')], ['b'], 'b', true],
  ['every channel open and unreachable: fast-fail', [channel('a', 'open', { reachable: false })], [], null, false],
  // Before: a sale 10 ms after the last trial on a bank that answers was refused 91 at once.
  ['the last reachable channel is not spaced by trialIntervalMs', [channel('a', 'open', { lastTrialAtMs: nowMs - 10 })], ['a'], 'a', true],
  ['the last reachable channel is still bounded by trialsInFlightMax', [channel('a', 'open', { lastTrialAtMs: nowMs - 10, trialsUntilMs: [nowMs + 1, nowMs + 2] })], [], null, false],
  ['a half-open channel out of slots falls back to another reachable open one', [channel('a', 'half_open', { trialsUntilMs: [nowMs + 1, nowMs + 2] }), channel('b', 'open')], ['b'], 'b', true],
];

for (const [name, route, channels, trial, lastResort] of rows) {
  test(name, () => {
    assert.deepEqual(arrangeRoute(route, settings, nowMs), { channels, trial, lastResort });
  });
}

test('a trial success moves an open circuit to half-open (one success of the two counted); other successes while open do not', () => {
  let state = initialChannelHealth(0);
  for (const atMs of [1, 2, 3]) state = recordSignal(state, settings, { atMs, kind: 'timeout', source: 'attempt' }).state;
  assert.equal(state.circuit, 'open');
  assert.equal(recordSignal(state, settings, { atMs: 4, kind: 'ok', source: 'attempt' }).state.circuit, 'open', 'a late result of an earlier sale');
  assert.equal(recordSignal(state, settings, { atMs: 4, kind: 'ok', source: 'echo', trial: true }).state.circuit, 'open', 'echoes never close');
  const moved = recordSignal(state, settings, { atMs: 4, kind: 'ok', source: 'attempt', trial: true });
  assert.equal(moved.transition?.to, 'half_open');
  assert.equal(recordSignal(moved.state, settings, { atMs: 5, kind: 'ok', source: 'attempt' }).state.circuit, 'closed');
  const single = recordSignal(state, { ...settings, halfOpenSuccessesMin: 1 }, { atMs: 4, kind: 'ok', source: 'attempt', trial: true });
  assert.deepEqual([single.transition?.from, single.transition?.to], ['open', 'closed']);
});
