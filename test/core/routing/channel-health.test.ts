// Goal: the circuit breaker opens, cools down, half-opens and closes exactly as documented, and the window
// counts rates and latencies. Method: table-driven sequences of signals at given instants through the pure
// recordSignal/advanceTime, checking the circuit after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  advanceTime,
  initialChannelHealth,
  isChannelAvailable,
  latencyPercentileMs,
  recordSignal,
  windowStats,
  type BreakerSettings,
  type ChannelHealthState,
  type CircuitState,
  type HealthSignalKind,
} from '../../../src/core/routing/channel-health.ts';

const settings: BreakerSettings = { failuresMax: 3, windowMs: 10_000, windowAttemptsMin: 6, failureRateMaxBps: 5_000, openMs: 5_000, halfOpenSuccessesMin: 2 };

type Step = [atMs: number, kind: HealthSignalKind | 'tick', expected: CircuitState, source?: 'attempt' | 'echo'];

const sequences: Array<{ name: string; steps: Step[] }> = [
  { name: 'failures in a row open it', steps: [[0, 'ok', 'closed'], [1, 'timeout', 'closed'], [2, 'error', 'closed'], [3, 'timeout', 'open']] },
  { name: 'a success resets the run', steps: [[1, 'timeout', 'closed'], [2, 'timeout', 'closed'], [3, 'ok', 'closed'], [4, 'timeout', 'closed'], [5, 'timeout', 'closed']] },
  {
    name: 'rate over the window opens it once enough results',
    steps: [[1, 'ok', 'closed'], [2, 'timeout', 'closed'], [3, 'ok', 'closed'], [4, 'timeout', 'closed'], [5, 'timeout', 'closed'], [6, 'ok', 'closed'], [7, 'error', 'open']],
  },
  {
    name: 'old results leave the window',
    steps: [[1, 'timeout', 'closed'], [2, 'timeout', 'closed'], [20_000, 'ok', 'closed'], [20_001, 'timeout', 'closed'], [20_002, 'ok', 'closed'], [20_003, 'timeout', 'closed']],
  },
  {
    name: 'the same results inside the window open it',
    steps: [[1, 'timeout', 'closed'], [2, 'timeout', 'closed'], [3, 'ok', 'closed'], [4, 'timeout', 'closed'], [5, 'ok', 'closed'], [6, 'timeout', 'open']],
  },
  { name: 'open turns half-open after the cool-down', steps: [[0, 'error', 'closed'], [1, 'error', 'closed'], [2, 'error', 'open'], [4_000, 'tick', 'open'], [5_002, 'tick', 'half_open']] },
  { name: 'results while open change nothing', steps: [[0, 'error', 'closed'], [1, 'error', 'closed'], [2, 'error', 'open'], [3, 'ok', 'open'], [4, 'ok', 'open']] },
  {
    name: 'half-open closes after enough attempt successes; echo successes never close it',
    steps: [[0, 'error', 'closed'], [1, 'error', 'closed'], [2, 'error', 'open'], [6_000, 'ok', 'half_open', 'echo'], [6_001, 'ok', 'half_open', 'echo'], [6_002, 'ok', 'half_open'], [6_003, 'ok', 'closed']],
  },
  { name: 'a failed echo reopens a half-open circuit', steps: [[0, 'error', 'closed'], [1, 'error', 'closed'], [2, 'error', 'open'], [6_000, 'error', 'open', 'echo'], [6_001, 'tick', 'open'], [11_001, 'tick', 'half_open']] },
  { name: 'a failure while half-open reopens it', steps: [[0, 'error', 'closed'], [1, 'error', 'closed'], [2, 'error', 'open'], [6_000, 'ok', 'half_open'], [6_001, 'timeout', 'open'], [10_000, 'tick', 'open'], [11_002, 'tick', 'half_open']] },
];

for (const sequence of sequences) {
  test(`breaker: ${sequence.name}`, () => {
    let state: ChannelHealthState = initialChannelHealth(0);
    for (const [atMs, kind, expected, source] of sequence.steps) {
      state = kind === 'tick' ? advanceTime(state, settings, atMs).state : recordSignal(state, settings, { atMs, kind, source: source ?? 'attempt', latencyMs: 10 }).state;
      assert.equal(state.circuit, expected, `at ${atMs} after ${kind}`);
      assert.equal(isChannelAvailable(state, settings, atMs), expected !== 'open');
    }
  });
}

test('transitions are reported once with a reason', () => {
  let state = initialChannelHealth(0);
  const transitions: string[] = [];
  for (let i = 0; i < 3; i++) {
    const update = recordSignal(state, settings, { atMs: i, kind: 'timeout', source: 'attempt' });
    state = update.state;
    if (update.transition !== null) transitions.push(`${update.transition.from}->${update.transition.to}: ${update.transition.reason}`);
  }
  assert.deepEqual(transitions, ['closed->open: 3 failures in a row']);
  assert.equal(state.openedCount, 1);
});

test('window stats and latency percentiles', () => {
  let state = initialChannelHealth(0);
  const latencies = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  latencies.forEach((latencyMs, index) => {
    state = recordSignal(state, { ...settings, failuresMax: 100, windowAttemptsMin: 1000 }, { atMs: index, kind: index < 2 ? 'timeout' : 'ok', source: 'attempt', latencyMs }).state;
  });
  const stats = windowStats(state, settings, 10);
  assert.deepEqual([stats.results, stats.timeouts, stats.failureRateBps, stats.timeoutRateBps], [10, 2, 2000, 2000]);
  assert.equal(latencyPercentileMs(state, settings, 10, 50), 50);
  assert.equal(latencyPercentileMs(state, settings, 10, 90), 90);
  assert.equal(latencyPercentileMs(state, settings, 10, 99), 100);
  assert.equal(latencyPercentileMs(state, settings, 50_000, 50), null);
  // Echo probes do not enter the window.
  const echoed = recordSignal(state, settings, { atMs: 11, kind: 'ok', source: 'echo' }).state;
  assert.equal(echoed.window.length, state.window.length);
});
