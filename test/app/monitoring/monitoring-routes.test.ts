// Goal: GET /v1/events pages the durable event stream with a cursor and a type filter; GET /v1/terminals and
// /v1/channels carry the live monitoring object; the terminal check raises quiet/unhealthy once per episode.
// Method: the real Fastify app (inject, no sockets) over the real engine and SQLite store with fake channels,
// a TerminalMonitor and a ChannelHealthMonitor wired the way serve wires them, and a settable clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHttpApp } from '../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../src/app/http-use-cases.ts';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { ChannelHealthMonitor, monitorChannel } from '../../../src/app/channels/channel-health-monitor.ts';
import { TerminalMonitor } from '../../../src/app/monitoring/terminal-monitor.ts';
import { createFixture, sale, silentLogger, terminalId, reply } from '../payments/sale-fixture.ts';
import type { ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';

test('events, terminal and channel monitoring over HTTP', async () => {
  const fixture = await createFixture({ scripts: [(request) => (Number(request.fields[4] ?? 0) === 5100 ? reply(request, '51') : reply(request, '00'))] });
  let offsetMs = 0;
  const clock = { nowMs: () => Date.now() + offsetMs };
  const health = new ChannelHealthMonitor({ channelNames: ['bank-a'], settings: { failuresMax: 2, windowMs: 60_000, windowAttemptsMin: 100, failureRateMaxBps: 10_000, openMs: 600_000, halfOpenSuccessesMin: 1 }, clock, logger: silentLogger, store: fixture.store });
  const terminals = new TerminalMonitor({ store: fixture.store, clock, logger: silentLogger, localOffsetMinutes: 480, settings: { quietAfterMs: 60_000, failureRateAlarmBps: 3_000, fallbackRateAlarmBps: 200, rateAttemptsMin: 4, stuckAfterMs: 300_000 } });
  const nowMs = Date.now();
  const admin = generateApiKey({ scope: 'admin' }, 'admin', nowMs);
  await fixture.store.write(async (tx) => {
    await tx.insertApiKey(admin.record);
    await tx.upsertChannel({ name: 'bank-a', host: '127.0.0.1', port: 9, dialect: 'iso87-ascii', timeoutMs: 1_000, priority: 1, disabled: false, draining: false, circuitOverride: null, definedBy: 'file', fileDefinition: null, createdAtMs: nowMs, updatedAtMs: nowMs });
    const terminal = await tx.getTerminal(terminalId);
    if (terminal !== null) await tx.upsertTerminal({ ...terminal, lastSeenAtMs: nowMs });
  });
  const config = validateConfig({ security: { developmentMode: true }, engine: { terminalTimeoutMs: 3_000 }, log: { level: 'silent' } });
  const app = await buildHttpApp({
    ...createHttpUseCases({ store: fixture.store, clock, logger: silentLogger, config }),
    engine: fixture.engine,
    store: fixture.store,
    clock,
    logger: silentLogger,
    config,
    monitoring: { terminalCached: (id) => terminals.cached(id), terminal: (id) => terminals.terminal(id), channel: (name) => health.view().find((view) => view.name === name) ?? null },
  });
  const auth = { authorization: `Bearer ${admin.key}` };
  try {
    // Traffic: 2 approved, 3 declined (51), 1 by fallback; the channel sees them through the monitor.
    const channel = fixture.channels[0];
    assert.ok(channel !== undefined);
    const original = channel.script;
    const monitored = monitorChannel({ name: channel.name, send: async (request) => (await original(request)) as ChannelSendResult }, health);
    channel.script = (request) => monitored.send(request, { timeoutMs: 1_000 });
    for (const [amountMinor, entryMode] of [[100, 'chip'], [200, 'fallback'], [5100, 'chip'], [5100, 'chip'], [5100, 'chip']] as const) {
      const request = sale({ amountMinor });
      await fixture.engine.authorize({ ...request, card: { ...request.card, entryMode } });
    }
    // payment.completed is written by the payment projector, off the answer's path (docs/projector.md).
    await fixture.gateway.projector.drain();

    const events = await app.inject({ method: 'GET', url: '/v1/events?limit=2', headers: auth });
    assert.equal(events.statusCode, 200);
    const page = events.json() as { data: Array<{ seq: number; type: string; at: string }>; nextCursor: string; hasMore: boolean };
    assert.equal(page.data.length, 2);
    assert.equal(page.hasMore, true);
    assert.equal(page.nextCursor, String(page.data[1]?.seq));
    const rest = (await app.inject({ method: 'GET', url: `/v1/events?after=${page.nextCursor}&limit=500`, headers: auth })).json() as typeof page;
    assert.ok(rest.data.every((event) => event.seq > Number(page.nextCursor)));
    assert.equal(rest.hasMore, false);
    const completed = (await app.inject({ method: 'GET', url: '/v1/events?type=payment.completed&limit=500', headers: auth })).json() as typeof page;
    assert.equal(completed.data.length, 5);
    assert.ok(completed.data.every((event) => event.type === 'payment.completed' && /Z$/.test(event.at)));
    const empty = (await app.inject({ method: 'GET', url: `/v1/events?after=${completed.data.at(-1)?.seq ?? 0}&type=payment.completed`, headers: auth })).json() as typeof page;
    assert.deepEqual([empty.data.length, empty.nextCursor], [0, String(completed.data.at(-1)?.seq)]);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/events' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/events?limit=501', headers: auth })).statusCode, 400);

    const one = (await app.inject({ method: 'GET', url: `/v1/terminals/${terminalId}`, headers: auth })).json() as { id: string; monitoring: Record<string, unknown> };
    assert.equal(one.monitoring.attemptsToday, 5);
    assert.equal(one.monitoring.failureRateBps, 6_000);
    assert.deepEqual(one.monitoring.topCodes, [{ code: '51', count: 3 }]);
    assert.equal(one.monitoring.chipReadFailures, 1);
    assert.equal(one.monitoring.fallbackRateBps, 2_000);
    const list = (await app.inject({ method: 'GET', url: '/v1/terminals', headers: auth })).json() as { data: Array<{ id: string; monitoring?: Record<string, unknown> }> };
    assert.equal(list.data.find((terminal) => terminal.id === terminalId)?.monitoring?.attemptsToday, 5, 'the list shows the last computed stats');

    const channels = (await app.inject({ method: 'GET', url: '/v1/channels', headers: auth })).json() as { data: Array<{ name: string; monitoring: { circuit: string; latencyMs: { p50: number | null }; attempts: { ok: number } } }> };
    const bankA = channels.data.find((entry) => entry.name === 'bank-a');
    assert.equal(bankA?.monitoring.circuit, 'closed');
    assert.equal(bankA?.monitoring.attempts.ok, 5, 'card-side declines are the channel working');
    assert.equal(bankA?.monitoring.latencyMs.p50, 3);

    // Terminal checks: unhealthy now (failure and fallback rates), once; quiet after the clock moves on.
    assert.deepEqual(await terminals.check(), { checked: 1, events: 1 });
    assert.deepEqual(await terminals.check(), { checked: 1, events: 0 }, 'an alarm that stays raised is not repeated');
    offsetMs = 120_000;
    assert.deepEqual(await terminals.check(), { checked: 1, events: 1 });
    const alarms = await fixture.store.listEvents(0, 500);
    assert.deepEqual(alarms.filter((event) => event.type.startsWith('terminal.')).map((event) => event.type), ['terminal.unhealthy', 'terminal.quiet']);
    const unhealthy = alarms.find((event) => event.type === 'terminal.unhealthy');
    assert.deepEqual((unhealthy?.payload.alarms as Array<{ kind: string }>).map((alarm) => alarm.kind), ['failure_rate', 'fallback_rate']);
  } finally {
    await health.stop();
    await app.close();
    await fixture.close();
  }
});
