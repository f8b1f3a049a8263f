// Goal: the reversal queue drives every unknown attempt to `reversed` or a dead letter, across
// restarts. Method: a real SQLite store (temp file), a real UpstreamChannel to a scripted TCP fake
// host, a ManualClock for the backoff schedule and runOnce() to step the worker deterministically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { UpstreamChannel } from '../../../src/adapters/channels/upstream-channel.ts';
import { ReversalWorker, enqueueReversal, reopenReversal, reversalIdFor, type ReversalSettlement, type ReversalWorkerOptions } from '../../../src/app/reversals/reversal-worker.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import type { AttemptRecord, Store } from '../../../src/core/ports/store.ts';
import { seedUnknownAttempt } from './reversal-fixtures.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import { answer, recordingLogger, startFakeHost, waitFor, type FakeHost } from '../../adapters/channels/fake-host.ts';

const startAtMs = Date.UTC(2026, 10, 25, 10, 30, 0);

interface Rig {
  store: Store;
  host: FakeHost;
  channel: UpstreamChannel;
  clock: ManualClock;
  settled: ReversalSettlement[];
  settledInTx: ReversalSettlement[];
  worker(overrides?: Partial<ReversalWorkerOptions>): ReversalWorker;
  /** The 0400/0401 messages the host received, in order. */
  reversalsReceived(): IsoMessage[];
}

/** Answers reversal tries by a script: one entry per try, `null` = stay silent. */
function scriptedReversalHost(codes: Array<string | null>) {
  let tryIndex = 0;
  return (message: IsoMessage, connection: { send(message: IsoMessage): void }): void => {
    if (message.mti === '0800') return connection.send(answer(message));
    if (!message.mti.startsWith('04')) return;
    const code = codes[Math.min(tryIndex, codes.length - 1)] ?? null;
    tryIndex++;
    if (code !== null) connection.send(answer(message, code));
  };
}

function tempDatabaseUrl(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-reversal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return `sqlite:${join(dir, 'reswipe.db')}`;
}

async function openMigrated(url: string): Promise<Store> {
  const store = await openStore(url);
  await store.migrate();
  return store;
}

async function makeRig(
  t: { after(fn: () => unknown): void },
  codes: Array<string | null>,
  options: { url?: string; store?: Store } = {},
): Promise<Rig> {
  const store = options.store ?? (await openMigrated(options.url ?? 'sqlite::memory:'));
  const host = await startFakeHost(scriptedReversalHost(codes));
  const channel = new UpstreamChannel({
    name: 'bank-a',
    host: '127.0.0.1',
    port: host.port,
    dialect: 'iso87-ascii',
    framing: 'binary2',
    frameBytesMax: 4096,
    connections: 1,
    inFlightMax: 100,
    echoIntervalMs: 0,
    acquirerId: '48020000',
    reconnectBackoffMs: 10,
    reconnectBackoffMsMax: 50,
    connectTimeoutMs: 1000,
    logger: recordingLogger(),
  });
  channel.start();
  await waitFor(() => channel.health().connected === 1, 'the channel to connect');
  t.after(async () => {
    await channel.close();
    await host.close();
    if (options.store === undefined) await store.close();
  });
  const clock = new ManualClock(startAtMs);
  const settled: ReversalSettlement[] = [];
  const settledInTx: ReversalSettlement[] = [];
  return {
    store,
    host,
    channel,
    clock,
    settled,
    settledInTx,
    worker: (overrides = {}) =>
      new ReversalWorker({
        store,
        channels: new Map([['bank-a', channel]]),
        clock,
        logger: recordingLogger(),
        triesMax: 4,
        backoffMs: 1000,
        backoffMsMax: 3000,
        timeoutMs: 80,
        batchMax: 10,
        pollIntervalMs: 20,
        acquirerIdFor: () => '48020000',
        onSettledInTx: async (_tx, settlement) => {
          settledInTx.push(settlement);
        },
        onSettled: (settlement) => settled.push(settlement),
        ...overrides,
      }),
    reversalsReceived: () => host.received.filter((message) => message.mti.startsWith('04')),
  };
}

async function attemptOf(store: Store, paymentId: string): Promise<AttemptRecord | undefined> {
  return (await store.listAttempts(paymentId))[0];
}

test('an unanswered 0400 is repeated as 0401 on the backoff schedule until a 00 completes it', async (t) => {
  const rig = await makeRig(t, [null, null, '00']);
  const { payment, reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  const worker = rig.worker();

  assert.equal(await worker.runOnce(), 1);
  let row = await rig.store.getReversal(reversal.id);
  assert.equal(row?.state, 'pending');
  assert.equal(row?.tries, 1);
  assert.equal(row?.nextAtMs, startAtMs + 1000);
  assert.match(row?.lastError ?? '', /no reply: timeout/);

  assert.equal(await worker.runOnce(), 0, 'not due before the backoff elapsed');
  rig.clock.advance(1000);
  assert.equal(await worker.runOnce(), 1);
  row = await rig.store.getReversal(reversal.id);
  assert.equal(row?.tries, 2);
  assert.equal(row?.nextAtMs, startAtMs + 1000 + 2000);

  rig.clock.advance(2000);
  assert.equal(await worker.runOnce(), 1);
  row = await rig.store.getReversal(reversal.id);
  assert.equal(row?.state, 'done');
  assert.equal(row?.tries, 3);
  assert.equal((await attemptOf(rig.store, payment.id))?.outcome, 'reversed');

  const sent = rig.reversalsReceived();
  assert.deepEqual(sent.map((message) => message.mti), ['0400', '0401', '0401']);
  for (const repeat of sent.slice(1)) assert.deepEqual(repeat.fields, sent[0]?.fields, 'a 0401 differs from the 0400 only in the MTI');
  assert.equal(sent[0]?.fields[11], reversal.stan);
  assert.equal(sent[0]?.fields[39], '98');

  assert.equal(rig.settledInTx.length, 1);
  assert.equal(rig.settledInTx[0]?.result, 'reversed');
  assert.equal(rig.settledInTx[0]?.responseCode, '00');
  assert.equal(rig.settled.length, 1);
  const events = await rig.store.listEvents(0, 100, 'reversal.completed');
  assert.equal(events.length, 1);
  assert.equal(events[0]?.subjectId, payment.id);
  assert.equal(await worker.runOnce(), 0, 'a done reversal is never sent again');
});

test('25 (original not found) completes the reversal too', async (t) => {
  const rig = await makeRig(t, ['25']);
  const { payment, reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  await rig.worker().runOnce();
  assert.equal((await rig.store.getReversal(reversal.id))?.state, 'done');
  assert.equal((await attemptOf(rig.store, payment.id))?.outcome, 'reversed');
  assert.equal(rig.settled[0]?.responseCode, '25');
});

test('any other response code counts as a failed try and is repeated', async (t) => {
  const rig = await makeRig(t, ['96', '00']);
  const { reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  const worker = rig.worker();
  await worker.runOnce();
  const row = await rig.store.getReversal(reversal.id);
  assert.equal(row?.state, 'pending');
  assert.match(row?.lastError ?? '', /DE 39 96/);
  rig.clock.advance(1000);
  await worker.runOnce();
  assert.equal((await rig.store.getReversal(reversal.id))?.state, 'done');
});

test('after triesMax failed tries the reversal is dead-lettered with an event and the payment handed to the engine', async (t) => {
  const rig = await makeRig(t, [null]);
  const { payment, reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  const worker = rig.worker({ triesMax: 3 });
  for (let round = 0; round < 5; round++) {
    await worker.runOnce();
    rig.clock.advance(10_000);
  }
  const row = await rig.store.getReversal(reversal.id);
  assert.equal(row?.state, 'dead');
  assert.equal(row?.tries, 3);
  assert.equal(rig.reversalsReceived().length, 3, 'never more than triesMax tries');
  assert.equal((await attemptOf(rig.store, payment.id))?.outcome, 'unknown', 'a dead reversal leaves the attempt flagged, not reversed');
  const events = await rig.store.listEvents(0, 100, 'reversal.dead_letter');
  assert.equal(events.length, 1);
  assert.deepEqual(
    { paymentId: events[0]?.payload.paymentId, attemptId: events[0]?.payload.attemptId, channel: events[0]?.payload.channel, tries: events[0]?.payload.tries, panMasked: events[0]?.payload.panMasked },
    { paymentId: payment.id, attemptId: 'att_1', channel: 'bank-a', tries: 3, panMasked: '622202******1234' },
  );
  assert.equal(rig.settledInTx[0]?.result, 'dead');
  assert.deepEqual(await rig.store.reversalQueueStats(), { pending: 0, dead: 1, oldestPendingCreatedAtMs: null });
});

test('an unconfigured or unreachable channel is a failed try, not a crash', async (t) => {
  const rig = await makeRig(t, ['00']);
  const { reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  await rig.worker({ channels: new Map() }).runOnce();
  const row = await rig.store.getReversal(reversal.id);
  assert.equal(row?.tries, 1);
  assert.match(row?.lastError ?? '', /not configured/);
  rig.clock.advance(1000);
  await rig.worker().runOnce();
  assert.equal((await rig.store.getReversal(reversal.id))?.state, 'done');
  assert.deepEqual(rig.reversalsReceived().map((message) => message.mti), ['0401'], 'the second try is a repeat even if the first never left');
});

test('enqueueing the same attempt twice keeps one reversal', async (t) => {
  const rig = await makeRig(t, ['00']);
  const { payment, attempt, reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  const again = await rig.store.write((tx) =>
    enqueueReversal(tx, { attempt, payment, reasonCode: '98', nowMs: rig.clock.nowMs() + 5, newStan: '000777', transmittedAt: '1125103099' }),
  );
  assert.deepEqual(again, reversal);
  assert.equal(again.id, reversalIdFor(attempt.id));
  assert.equal((await rig.store.listEvents(0, 100, 'reversal.queued')).length, 1);
  assert.equal((await rig.store.reversalQueueStats()).pending, 1);
});

test('a restart picks up pending rows, and a try cut short by a crash is repeated as 0401', async (t) => {
  const url = tempDatabaseUrl(t);
  const clockAtMs = startAtMs;
  const before = await openMigrated(url);
  const { payment, reversal } = await seedUnknownAttempt(before, clockAtMs, '1');
  const second = await seedUnknownAttempt(before, clockAtMs, '2');
  // Simulate a crash right after the first reversal's 0400 left: the claim is stored, the outcome is not.
  await before.write((tx) => tx.updateReversal({ ...reversal, tries: 1, nextAtMs: clockAtMs + 1500 }));
  await before.close();

  const after = await openMigrated(url);
  t.after(() => after.close());
  const rig = await makeRig(t, ['00'], { store: after });
  const worker = rig.worker();
  assert.equal(await worker.runOnce(), 1, 'only the untouched reversal is due at once');
  assert.equal((await after.getReversal(second.reversal.id))?.state, 'done');
  rig.clock.advance(1500);
  assert.equal(await worker.runOnce(), 1);
  assert.equal((await after.getReversal(reversal.id))?.state, 'done');
  assert.equal((await attemptOf(after, payment.id))?.outcome, 'reversed');
  assert.deepEqual(rig.reversalsReceived().map((message) => message.mti), ['0400', '0401']);
});

test('start() polls on its own and stop() waits for the run in progress', async (t) => {
  const rig = await makeRig(t, ['00']);
  const { reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  const worker = rig.worker();
  worker.start();
  t.after(() => worker.stop());
  const checksMax = 400;
  for (let check = 0; check < checksMax; check++) {
    if ((await rig.store.getReversal(reversal.id))?.state === 'done') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal((await rig.store.getReversal(reversal.id))?.state, 'done');
  await worker.stop();
  assert.equal(rig.settled.length, 1);
});

test('a reversal reopened after a late approval is sent again as a fresh 0400 with a new STAN', async (t) => {
  const rig = await makeRig(t, ['25', '00']);
  const { payment, attempt, reversal } = await seedUnknownAttempt(rig.store, rig.clock.nowMs());
  const worker = rig.worker();
  await worker.runOnce();
  assert.equal((await rig.store.getReversal(reversal.id))?.state, 'done');

  const reopened = await rig.store.write((tx) =>
    reopenReversal(tx, { attemptId: attempt.id, nowMs: rig.clock.nowMs(), newStan: '000555', transmittedAt: '1125103500', why: 'approval arrived after the reversal' }),
  );
  assert.equal(reopened?.state, 'pending');
  assert.equal(reopened?.tries, 0);
  assert.equal((await rig.store.listEvents(0, 100, 'reversal.reopened')).length, 1);
  const again = await rig.store.write((tx) =>
    reopenReversal(tx, { attemptId: attempt.id, nowMs: rig.clock.nowMs(), newStan: '000556', transmittedAt: '1125103501', why: 'twice' }),
  );
  assert.equal(again?.stan, '000555', 'reopening a pending row changes nothing');

  await worker.runOnce();
  assert.equal((await rig.store.getReversal(reversal.id))?.state, 'done');
  const sent = rig.reversalsReceived();
  assert.deepEqual(sent.map((message) => [message.mti, message.fields[11]]), [['0400', reversal.stan], ['0400', '000555']]);
  assert.equal(sent[1]?.fields[90], sent[0]?.fields[90], 'both name the same original');
  assert.equal(rig.settled.length, 2);
  assert.equal(rig.settled[1]?.payment.id, payment.id);
});

test('a reversal queued while another waits for a lost 0410 is sent at once, not behind it', async (t) => {
  // The host never answers the first reversal, and answers 00 to the second.
  const rig = await makeRig(t, [null, '00']);
  const worker = rig.worker({ timeoutMs: 10_000 });
  t.after(() => worker.stop());
  const first = await seedUnknownAttempt(rig.store, rig.clock.nowMs(), '1');
  worker.kick();
  await waitFor(() => rig.reversalsReceived().length === 1, 'the first 0400 to reach the host');
  const second = await seedUnknownAttempt(rig.store, rig.clock.nowMs(), '2');
  worker.kick();
  // Before this change the second kick waited for the first run, i.e. for the first 0400's 10 s timeout.
  let secondState: string | undefined;
  for (let check = 0; check < 400 && secondState !== 'done'; check++) {
    secondState = (await rig.store.getReversal(second.reversal.id))?.state;
    if (secondState !== 'done') await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(secondState, 'done', 'the second reversal completed while the first waits');
  assert.equal((await rig.store.getReversal(first.reversal.id))?.state, 'pending', 'the first still waits for its reply');
  assert.equal(rig.reversalsReceived().length, 2, 'one try each: the waiting row is not sent twice');
});
