// Goal: the monitor turns attempt results, echo reports and connection state into the documented breaker
// signals (a lost connection once, however many sales were on it), gives a half-open channel trial sales at
// a bounded rate, keeps probing the last reachable channel of a route, and writes each circuit change as an event.
// Method: a ChannelHealthMonitor with a settable clock, hand-made channel results and health() reports,
// and a recording store stub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelHealthMonitor, monitorChannel } from '../../../src/app/channels/channel-health-monitor.ts';
import type { ChannelHealth, ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import type { EventRecord, Store, StoreTx } from '../../../src/core/ports/store.ts';
import type { BreakerSettings } from '../../../src/core/routing/channel-health.ts';

const sale: IsoMessage = { mti: '0200', fields: { 11: '000001' } };
const replyWith = (code: string): ChannelSendResult => ({ kind: 'reply', message: { mti: '0210', fields: { 39: code } }, sentAtMs: 0, latencyMs: 5 });
const silent = { info() {}, warn() {}, error() {}, debug() {} };

function setup(overrides: Partial<BreakerSettings> = {}) {
  let nowMs = 1_000_000;
  const events: Array<Omit<EventRecord, 'seq'>> = [];
  const store = {
    write: async <T,>(unit: (tx: StoreTx) => Promise<T>) => unit({ appendEvent: async (event: Omit<EventRecord, 'seq'>) => (events.push(event), events.length) } as unknown as StoreTx),
  } as Pick<Store, 'write'>;
  let health: ChannelHealth[] = [{ name: 'a', connected: 2, connections: 2, inFlight: 0, lastEchoOkAtMs: null, consecutiveFailures: 0 }];
  const monitor = new ChannelHealthMonitor({
    channelNames: ['a', 'b'],
    settings: { failuresMax: 2, windowMs: 60_000, windowAttemptsMin: 100, failureRateMaxBps: 10_000, openMs: 10_000, halfOpenSuccessesMin: 1, ...overrides },
    clock: { nowMs: () => nowMs },
    logger: silent,
    store,
    healthOf: () => health,
  });
  return {
    monitor,
    events,
    advance: (ms: number) => {
      nowMs += ms;
    },
    setHealth: (next: ChannelHealth[]) => {
      health = next;
    },
  };
}

const signals: Array<[name: string, result: ChannelSendResult, opens: boolean]> = [
  ['card-side decline 51 is the channel working', replyWith('51'), false],
  ['approval', replyWith('00'), false],
  ['channel-side decline 91', replyWith('91'), true],
  ['channel-side decline 96', replyWith('96'), true],
  ['timeout', { kind: 'no_reply', reason: 'timeout', sentAtMs: 0 }, true],
  ['connection lost', { kind: 'no_reply', reason: 'connection_lost', sentAtMs: 0 }, true],
  ['no connection', { kind: 'not_sent', reason: 'no_connection', detail: '' }, true],
  ['in-flight limit says nothing about the far end', { kind: 'not_sent', reason: 'in_flight_full', detail: '' }, false],
];

for (const [name, result, opens] of signals) {
  test(`signal: ${name}`, async () => {
    const { monitor } = setup();
    monitor.recordAttempt('a', sale, result);
    monitor.recordAttempt('a', sale, result);
    assert.equal(monitor.circuit('a'), opens ? 'open' : 'closed');
    await monitor.stop();
  });
}

test('echo replies are not attempts: they never enter the window', async () => {
  const { monitor } = setup();
  monitor.recordAttempt('a', { mti: '0800', fields: {} }, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0 });
  monitor.recordAttempt('a', { mti: '0800', fields: {} }, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0 });
  assert.equal(monitor.circuit('a'), 'closed');
  await monitor.stop();
});

test('open skips the channel; half-open gives one trial at a time; a trial success closes it; events for each change', async () => {
  const { monitor, events, advance, setHealth } = setup();
  monitor.recordAttempt('a', sale, replyWith('91'));
  monitor.recordAttempt('a', sale, replyWith('91'));
  assert.deepEqual(monitor.arrange(['a', 'b']), ['b']);
  advance(10_000);
  monitor.poll();
  assert.equal(monitor.circuit('a'), 'half_open');
  // An echo answered does not close it.
  setHealth([{ name: 'a', connected: 2, connections: 2, inFlight: 0, lastEchoOkAtMs: 5, consecutiveFailures: 0 }]);
  monitor.poll();
  assert.equal(monitor.circuit('a'), 'half_open');
  assert.deepEqual(monitor.arrange(['a', 'b']), ['a', 'b'], 'the trial sale');
  assert.deepEqual(monitor.arrange(['a', 'b']), ['b', 'a'], 'only one trial at a time');
  assert.deepEqual(monitor.arrange(['b', 'a']), ['b', 'a'], 'a half-open fallback keeps its place behind a closed channel');
  monitor.recordAttempt('a', sale, replyWith('00'));
  assert.equal(monitor.circuit('a'), 'closed');
  assert.deepEqual(monitor.arrange(['a', 'b']), ['a', 'b']);
  await monitor.stop();
  assert.deepEqual(events.map((event) => `${event.type}:${event.subjectId}`), ['channel.opened:a', 'channel.half_open:a', 'channel.closed:a']);
});

test('no connection at a poll reopens a half-open circuit', async () => {
  const { monitor, advance, setHealth } = setup();
  monitor.poll();
  monitor.recordAttempt('a', sale, replyWith('91'));
  monitor.recordAttempt('a', sale, replyWith('91'));
  advance(10_000);
  setHealth([{ name: 'a', connected: 0, connections: 2, inFlight: 0, lastEchoOkAtMs: null, consecutiveFailures: 3 }]);
  monitor.poll();
  assert.equal(monitor.circuit('a'), 'open');
  await monitor.stop();
});

test('failovers are counted on both channels', async () => {
  const { monitor } = setup();
  monitor.recordFailover('a', 'b');
  monitor.recordFailover('a', 'b');
  const view = monitor.view();
  assert.deepEqual(view.map((channel) => [channel.name, channel.failovers.from, channel.failovers.to]), [['a', 2, 0], ['b', 0, 2]]);
  await monitor.stop();
});

test('a lost connection is one failure however many sales were on it; another connection is another', async () => {
  const { monitor } = setup();
  // Before: each of these three counted, and failuresMax 2 opened the circuit on the second.
  for (let index = 0; index < 3; index++) monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'connection_lost', sentAtMs: 0, connectionId: 7 });
  monitor.recordAttempt('a', sale, { kind: 'not_sent', reason: 'no_connection', detail: '', connectionId: 7 });
  assert.equal(monitor.circuit('a'), 'closed');
  const view = monitor.view().find((channel) => channel.name === 'a');
  assert.equal(view?.attempts.error, 4, 'every sale still counts in the attempt counters');
  assert.equal(view?.connectionFailuresMerged, 3);
  assert.equal(view?.window.results, 1, 'one entry in the window, so one lost line cannot swing the rate either');
  monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'malformed_reply', sentAtMs: 0, connectionId: 8 });
  assert.equal(monitor.circuit('a'), 'open', 'two lost connections in a row are two failures');
  await monitor.stop();
});

test('timeouts stay one signal per sale: a host that swallows sales on a live connection still opens the circuit', async () => {
  const { monitor } = setup();
  monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0, connectionId: 7 });
  monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0, connectionId: 7 });
  assert.equal(monitor.circuit('a'), 'open');
  await monitor.stop();
});

test('half-open lets trial sales through at a bounded rate: trialIntervalMs apart, at most trialsInFlightMax out', async () => {
  const { monitor, advance } = setup({ trialIntervalMs: 1_000, trialsInFlightMax: 2, halfOpenSuccessesMin: 2 });
  monitor.recordAttempt('a', sale, replyWith('91'));
  monitor.recordAttempt('a', sale, replyWith('91'));
  advance(10_000);
  monitor.poll();
  assert.equal(monitor.circuit('a'), 'half_open');
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'the first trial');
  monitor.recordSend('a', sale);
  assert.deepEqual(monitor.arrange(['a']), [], 'too soon for another: the half-open channel is not flooded');
  advance(1_000);
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'a second trial after the interval');
  monitor.recordSend('a', sale);
  advance(1_000);
  assert.deepEqual(monitor.arrange(['a']), [], 'two trials out: the in-flight bound');
  monitor.recordAttempt('a', sale, replyWith('51'));
  assert.equal(monitor.circuit('a'), 'half_open', 'a card-side decline is a success, one of the two needed');
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'a result frees a slot');
  await monitor.stop();
});

test('the last reachable channel of a route is probed while open, bounded, and its trial successes close it without the cool-down', async () => {
  const { monitor, events, advance } = setup({ trialIntervalMs: 1_000, trialsInFlightMax: 1, halfOpenSuccessesMin: 2 });
  monitor.recordAttempt('a', sale, replyWith('00'));
  monitor.recordAttempt('a', sale, replyWith('91'));
  monitor.recordAttempt('a', sale, replyWith('91'));
  assert.equal(monitor.circuit('a'), 'open');
  // Before: an open circuit left this one-channel route empty (every sale refused) for the whole cool-down.
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'connected and answered a sale lately: a trial sale goes through');
  assert.equal(monitor.recordSend('a', sale), true, 'it goes out');
  assert.deepEqual(monitor.arrange(['a']), [], 'one trial at a time here');
  assert.equal(monitor.recordSend('a', sale), false, 'a sale arranged at the same instant is held back at the send');
  monitor.recordAttempt('a', sale, replyWith('00'));
  assert.equal(monitor.circuit('a'), 'half_open', 'a trial success moves it on at once');
  advance(1_000);
  assert.deepEqual(monitor.arrange(['a']), ['a']);
  monitor.recordAttempt('a', sale, replyWith('00'));
  assert.equal(monitor.circuit('a'), 'closed');
  await monitor.stop();
  assert.deepEqual(
    events.map((event) => `${event.type}:${(event.payload as { from: string }).from}`),
    ['channel.opened:closed', 'channel.half_open:open', 'channel.closed:half_open'],
  );
});

test('an open channel is not probed while another channel of the route is closed, nor when it is unreachable', async () => {
  const { monitor, advance, setHealth } = setup({ trialIntervalMs: 1_000 });
  monitor.recordAttempt('a', sale, replyWith('00'));
  monitor.recordAttempt('a', sale, replyWith('91'));
  monitor.recordAttempt('a', sale, replyWith('91'));
  assert.deepEqual(monitor.arrange(['a', 'b']), ['b'], 'b is closed: no reason to probe a');
  setHealth([{ name: 'a', connected: 0, connections: 2, inFlight: 0, lastEchoOkAtMs: null, consecutiveFailures: 3 }]);
  assert.deepEqual(monitor.arrange(['a']), [], 'no connection: fast-fail');
  setHealth([{ name: 'a', connected: 2, connections: 2, inFlight: 0, lastEchoOkAtMs: 5, consecutiveFailures: 0 }]);
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'connected again');
  monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0 });
  assert.equal(monitor.circuit('a'), 'open', 'a failed trial keeps it open');
  advance(9_000);
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'still answered a sale inside the window');
  advance(60_000);
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'cool-down over: half-open, an ordinary trial');
  monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0 });
  advance(1_000);
  assert.deepEqual(monitor.arrange(['a']), [], 'no sale answered for a whole window: unreachable, fast-fail until the cool-down');
  await monitor.stop();
});

test('the last reachable channel keeps taking sales one after another; asking for a route takes no slot; trials on the wire stay bounded', async () => {
  // Before: with one channel, an open circuit refused a sale 91 at once when it came within trialIntervalMs of
  // the last trial, and the engine asking which channels are healthy (before deciding on a retry it then did
  // not make) took a trial slot for a whole cool-down: a bank that answered was cut off by the breaker alone.
  const { monitor, advance } = setup({ trialIntervalMs: 250, trialsInFlightMax: 2, halfOpenSuccessesMin: 2 });
  monitor.recordAttempt('a', sale, replyWith('00'));
  monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0 });
  monitor.recordAttempt('a', sale, { kind: 'no_reply', reason: 'timeout', sentAtMs: 0 });
  assert.equal(monitor.circuit('a'), 'open');
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'the engine looks which channels are healthy; no sale follows');
  advance(20);
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'another look 20 ms later, no sale either');
  advance(20);
  const pending: Array<(result: ChannelSendResult) => void> = [];
  let sent = 0;
  const channel = monitorChannel({ name: 'a', send: () => ((sent += 1), new Promise<ChannelSendResult>((resolve) => pending.push(resolve))) }, monitor);
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'the next sale 20 ms later is a trial too, not a 91');
  const first = channel.send(sale, { timeoutMs: 1_000 });
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'one trial on the wire: room for another');
  const second = channel.send(sale, { timeoutMs: 1_000 });
  assert.deepEqual(monitor.arrange(['a']), [], 'two trials on the wire: the in-flight bound holds');
  const refused = await channel.send(sale, { timeoutMs: 1_000 });
  assert.equal(refused.kind === 'not_sent' && refused.reason, 'in_flight_full', 'a sale arranged at the same instant is refused at the send, not sent');
  assert.equal(sent, 2);
  (pending[0] as (result: ChannelSendResult) => void)(replyWith('00'));
  await first;
  assert.equal(monitor.circuit('a'), 'half_open', 'the trial success moves it on at once');
  assert.deepEqual(monitor.arrange(['a']), ['a'], 'its result freed a slot');
  (pending[1] as (result: ChannelSendResult) => void)(replyWith('00'));
  await second;
  assert.equal(monitor.circuit('a'), 'closed');
  await monitor.stop();
});

test('a forced circuit wins over the breaker: forced open is never the last resort, forced closed sends without trial slots', () => {
  let nowMs = 1_000_000;
  const forced = new Map<string, 'open' | 'closed'>();
  const monitor = new ChannelHealthMonitor({
    channelNames: ['a', 'b'],
    settings: { failuresMax: 2, windowMs: 60_000, windowAttemptsMin: 100, failureRateMaxBps: 10_000, openMs: 10_000, halfOpenSuccessesMin: 1 },
    clock: { nowMs: () => nowMs },
    logger: silent,
    healthOf: () => [{ name: 'a', connected: 1, connections: 1, inFlight: 0, lastEchoOkAtMs: null, consecutiveFailures: 0 }],
    forcedCircuit: (name) => forced.get(name) ?? null,
  });
  monitor.recordAttempt('a', sale, replyWith('00'));
  forced.set('a', 'open');
  assert.equal(monitor.circuit('a'), 'open');
  assert.deepEqual(monitor.arrange(['a', 'b']), ['b']);
  assert.deepEqual(monitor.arrange(['a']), [], 'the only channel, reachable, still gets no sale: the operator said open');
  const view = monitor.view().find((channel) => channel.name === 'a');
  assert.equal(view?.forced, 'open');
  assert.equal(view?.breakerCircuit, 'closed');
  // The breaker opens on its own; forced closed puts the channel back first in line, and every sale goes out.
  forced.delete('a');
  monitor.recordAttempt('a', sale, replyWith('96'));
  monitor.recordAttempt('a', sale, replyWith('96'));
  assert.equal(monitor.circuit('a'), 'open');
  assert.deepEqual(monitor.arrange(['a', 'b']), ['b']);
  forced.set('a', 'closed');
  assert.deepEqual(monitor.arrange(['a', 'b']), ['a', 'b']);
  for (let i = 0; i < 5; i++) assert.equal(monitor.recordSend('a', sale), true, 'no trial bound while forced closed');
  nowMs += 1;
  forced.delete('a');
  assert.equal(monitor.circuit('a'), 'open', 'lifted: the breaker decides again');
});
