// Goal: the channel and the reversal queue do the right thing against the real issuer simulator,
// where money actually moves: a lost or late approval is charged at the "bank" and the reversal
// credits it back exactly once. Method: spawn `reswipe issuer-sim` on ephemeral ports, drive its
// magic fault amounts through a real UpstreamChannel, reverse through the worker on a SQLite store,
// and read the simulator's ledger over its admin API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamChannel, type ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';
import { ReversalWorker } from '../../../src/app/reversals/reversal-worker.ts';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { getText, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { buildUpstreamSale } from '../../../src/core/payments/upstream-request.ts';
import { CardNumber } from '../../../src/core/cards/pan.ts';
import { recordingLogger, waitFor } from '../../adapters/channels/fake-host.ts';
import { seedUnknownAttempt } from './reversal-fixtures.ts';
import { repoRoot, startReswipeJson, stopChild } from '../../support/reswipe-process.ts';

interface Simulator {
  isoPort: number;
  adminPort: number;
  ledger(): Promise<{ totals: { netChargedMinor: number }; entries: Array<{ amountMinor: number; reversed: boolean; kind: string }> }>;
  stop(): Promise<void>;
}

async function startSimulator(): Promise<Simulator> {
  const { child, info } = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--seed', '7', '--late-reply-ms', '300', '--log-level', 'silent'], {
    cwd: repoRoot,
    startTimeoutMs: 20_000,
  });
  const isoPort = Number(info.isoPort);
  const adminPort = Number(info.adminPort);
  return {
    isoPort,
    adminPort,
    ledger: async () => (await (await fetch(`http://127.0.0.1:${adminPort}/ledger`)).json()) as Awaited<ReturnType<Simulator['ledger']>>,
    stop: () => stopChild(child),
  };
}

function sale(amountMinor: number, stan: number, nowMs: number): IsoMessage {
  return buildUpstreamSale({
    amountMinor,
    currency: 'CNY',
    card: { number: new CardNumber('6222020000000000018'), expiry: '3012', entryMode: 'chip' },
    merchant: { id: '898310048160001', name: 'Test shop', mcc: '5411' },
    upstreamTerminalId: 'T0000001',
    acquirerId: '48020000',
    stan: String(stan).padStart(6, '0'),
    nowMs,
  });
}

function kindOf(result: ChannelSendResult): string {
  return result.kind === 'reply' ? `reply/${getText(result.message, 39) ?? '--'}` : `${result.kind}/${result.reason}`;
}

test('against the issuer simulator: faults map to the right answer, and reversals credit hidden approvals back', async (t) => {
  const sim = await startSimulator();
  t.after(() => sim.stop());
  const channel = new UpstreamChannel({
    name: 'bank-a',
    host: '127.0.0.1',
    port: sim.isoPort,
    dialect: 'iso87-ascii',
    framing: 'binary2',
    frameBytesMax: 4096,
    connections: 2,
    inFlightMax: 64,
    echoIntervalMs: 0,
    acquirerId: '48020000',
    reconnectBackoffMs: 10,
    reconnectBackoffMsMax: 100,
    connectTimeoutMs: 2000,
    logger: recordingLogger(),
  });
  channel.start();
  t.after(() => channel.close());
  await waitFor(() => channel.health().connected === 2, 'the pool to connect to the simulator', 10_000);
  const late: Array<{ message: IsoMessage; late: boolean }> = [];
  channel.onUnmatchedReply((message, info) => late.push({ message, late: info.late }));

  const nowMs = Date.UTC(2026, 10, 25, 10, 30, 0);
  const approved = await channel.send(sale(10_000, 1, nowMs), { timeoutMs: 5000 });
  assert.equal(kindOf(approved), 'reply/00');
  assert.equal(kindOf(await channel.send(sale(99951, 2, nowMs), { timeoutMs: 5000 })), 'reply/51');
  assert.equal(kindOf(await channel.send(sale(88801, 3, nowMs), { timeoutMs: 150 })), 'no_reply/timeout');
  assert.equal(kindOf(await channel.send(sale(88804, 4, nowMs), { timeoutMs: 5000 })), 'no_reply/connection_lost');
  await waitFor(() => channel.health().connected === 2, 'the pool to reconnect after the drop', 10_000);
  const malformed = sale(88806, 5, nowMs);
  assert.equal(kindOf(await channel.send(malformed, { timeoutMs: 5000 })), 'no_reply/malformed_reply');
  await waitFor(() => channel.health().connected === 2, 'the pool to reconnect after the malformed reply', 10_000);

  // A duplicated approval: the first copy answers the request, the second is unmatched but not late.
  assert.equal(kindOf(await channel.send(sale(88807, 8, nowMs), { timeoutMs: 5000 })), 'reply/00');
  await waitFor(() => late.length === 1, 'the duplicate reply', 10_000);
  assert.deepEqual([late[0]?.late, getText(late[0]!.message, 11)], [false, '000008']);
  late.length = 0;

  // Hidden approvals: the simulator charges the card and the gateway never sees the answer in time.
  const lost = sale(88802, 6, nowMs);
  assert.equal(kindOf(await channel.send(lost, { timeoutMs: 150 })), 'no_reply/timeout');
  const lateSale = sale(88803, 7, nowMs);
  assert.equal(kindOf(await channel.send(lateSale, { timeoutMs: 100 })), 'no_reply/timeout');
  await waitFor(() => late.length >= 1, 'the late approval', 10_000);
  assert.equal(late[0]?.late, true);
  assert.equal(getText(late[0]!.message, 39), '00');
  assert.equal(getText(late[0]!.message, 11), '000007');

  const before = await sim.ledger();
  assert.equal(before.totals.netChargedMinor, 10_000 + 88807 + 88806 + 88802 + 88803, 'the two answered approvals and the three hidden ones are charged');

  const store = await openStore('sqlite::memory:');
  await store.migrate();
  t.after(() => store.close());
  const clock = new ManualClock(nowMs);
  for (const [suffix, message] of [['5', malformed], ['6', lost], ['7', lateSale]] as const) {
    await seedUnknownAttempt(store, nowMs, suffix, { stan: getText(message, 11)!, transmittedAt: getText(message, 7)!, amountMinor: Number(getText(message, 4)) });
  }
  const worker = new ReversalWorker({
    store,
    channels: new Map([['bank-a', channel]]),
    clock,
    logger: recordingLogger(),
    triesMax: 3,
    backoffMs: 1000,
    backoffMsMax: 4000,
    timeoutMs: 5000,
    batchMax: 10,
    pollIntervalMs: 1000,
    acquirerIdFor: () => '48020000',
  });
  assert.equal(await worker.runOnce(), 3);
  assert.deepEqual((await store.reversalQueueStats()).pending, 0);
  const after = await sim.ledger();
  assert.equal(after.totals.netChargedMinor, 10_000 + 88807, 'the reversals credited the hidden approvals back, and only them');
  assert.deepEqual(
    after.entries.filter((entry) => entry.reversed).map((entry) => entry.amountMinor).sort(),
    [88802, 88803, 88806],
  );
});
