// Goal: any message from a known terminal (echo, sale), not only sign-on, moves its lastSeenAtMs,
// with at most one store write per terminal per interval, and monitoring's quiet alarm follows it.
// Method: a real TerminalListener (cups-pos, port 0) over the engine fixture with a hand-moved clock;
// the listener's store is wrapped to count its writes; the TerminalMonitor reads the same store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalListener } from '../../../src/adapters/terminal-link/terminal-listener.ts';
import { TerminalMonitor } from '../../../src/app/monitoring/terminal-monitor.ts';
import { createFixture, merchantId, silentLogger, terminalId } from '../../app/payments/sale-fixture.ts';
import { TerminalClient, saleMessage } from '../../e2e/terminal-client.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';

const intervalMs = 10_000;

function networkMessage(stan: string, code: string): IsoMessage {
  return { mti: '0800', fields: { 11: stan, 41: terminalId, 42: merchantId, 60: { '1': '00', '2': '000001', '3': code } } };
}

/** The store as the listener sees it, counting the writes the listener starts. */
function countingStore(store: Store, writes: { count: number }): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'write') return (...args: Parameters<Store['write']>) => ((writes.count += 1), target.write(...args));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function lastSeenBecomes(store: Store, expectedMs: number): Promise<number | null> {
  let seen: number | null = null;
  for (let round = 0; round < 150; round++) {
    seen = (await store.getTerminal(terminalId))?.lastSeenAtMs ?? null;
    if (seen === expectedMs) return seen;
    await delay(20);
  }
  return seen;
}

test('an echo after a sign-on moves last seen (throttled per terminal) and keeps monitoring from calling the terminal quiet', async () => {
  const fixture = await createFixture({});
  let nowMs = Date.now();
  const clock = { nowMs: () => nowMs };
  const writes = { count: 0 };
  const server = new TerminalListener({
    listener: { name: 'test', host: '127.0.0.1', port: 0, dialect: 'cups-pos', framing: { length: 'binary2', frameBytesMax: 2048 }, connectionsMax: 4, language: 'zh' },
    sales: fixture.engine,
    store: countingStore(fixture.store, writes),
    clock,
    logger: silentLogger,
    // Raw, unMACed cups-pos messages: this test is about the listener's other duties, so MACs are off.
    macMode: 'off',
    lastSeenWriteIntervalMs: intervalMs,
  });
  const monitor = new TerminalMonitor({
    store: fixture.store,
    clock,
    logger: silentLogger,
    settings: { quietAfterMs: 50_000, failureRateAlarmBps: 10_000, fallbackRateAlarmBps: 10_000, rateAttemptsMin: 1_000, stuckAfterMs: 600_000 },
    localOffsetMinutes: 480,
  });
  const port = await server.start();
  const client = await TerminalClient.connect(port, 'cups-pos');
  try {
    const signedOnAtMs = nowMs;
    assert.equal((await client.request(networkMessage('000001', '003'))).fields[39], '00');
    assert.equal((await fixture.store.getTerminal(terminalId))?.lastSeenAtMs, signedOnAtMs);
    assert.equal(writes.count, 1, 'the sign-on is one write and counts as the terminal\'s last-seen write');

    // An echo right after the sign-on is inside the interval: nothing is written.
    nowMs += 1_000;
    assert.equal((await client.request(networkMessage('000002', '301'))).fields[39], '00');
    assert.equal(writes.count, 1);

    // An echo a minute later moves last seen.
    nowMs = signedOnAtMs + 60_000;
    const echoAtMs = nowMs;
    assert.equal((await client.request(networkMessage('000003', '301'))).fields[39], '00');
    assert.equal(writes.count, 2);
    assert.equal(await lastSeenBecomes(fixture.store, echoAtMs), echoAtMs, 'the echo moved lastSeenAtMs');

    // Monitoring: 70 s after the sign-on but 10 s after the echo, the terminal is not quiet; 55 s after the echo it is.
    nowMs = echoAtMs + 10_000;
    const lively = await monitor.terminal(terminalId);
    assert.equal(lively?.lastSeenAt, new Date(echoAtMs).toISOString());
    assert.deepEqual(lively?.alarms.map((alarm) => alarm.kind), []);
    nowMs = echoAtMs + 55_000;
    assert.deepEqual((await monitor.terminal(terminalId))?.alarms.map((alarm) => alarm.kind), ['quiet']);

    // Any message counts: a sale past the interval moves it too, in the background of the sale's answer.
    nowMs = echoAtMs + 70_000;
    const saleAtMs = nowMs;
    assert.equal((await client.request(saleMessage({ stan: '000004', pan: '6222020000000000018', amountMinor: 1_234 }))).fields[39], '00');
    assert.equal(writes.count, 3);
    assert.equal(await lastSeenBecomes(fixture.store, saleAtMs), saleAtMs, 'the sale moved lastSeenAtMs');

    // An unknown terminal's echo creates nothing and is throttled like a known one.
    const stranger = { mti: '0800', fields: { 11: '000005', 41: 'T9999999', 60: { '1': '00', '2': '000001', '3': '301' } } } satisfies IsoMessage;
    await client.request(stranger);
    await client.request({ ...stranger, fields: { ...stranger.fields, 11: '000006' } });
    assert.equal(writes.count, 4);
    assert.equal(await fixture.store.getTerminal('T9999999'), null);
  } finally {
    client.close();
    await server.close(1_000);
    await fixture.close();
  }
});
