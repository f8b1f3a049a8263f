// Goal: several gateway nodes on one PostgreSQL database never act on the same work at once, and a
// dead node's work is taken over at once. Method: two stores on one schema stand for two nodes (each
// its own pool, its own node id); time is a controlled clock per node, and a "pause" is that node's
// clock jumping forward between two of its steps, as it would after a stop-the-world pause.
//   - work leases: claim, renewal, expiry, takeover with a new epoch, and a write fenced by a lost lease;
//   - reversal tries: a node paused between its claim and its send sends nothing; a stale outcome write fails;
//   - leadership: the leader's session connection is killed, the other node becomes leader;
//   - takeover: a terminal waiting for a dead node's in_progress sale gets it taken over (not a 60 s wait).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { ReversalWorker } from '../../../src/app/reversals/reversal-worker.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import type { ChannelSendResult } from '../../../src/core/ports/channel.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import { composeGateway } from '../../../src/app/compose-gateway.ts';
import { createMetrics } from '../../../src/adapters/http/metrics.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { seedUnknownAttempt } from '../reversals/reversal-fixtures.ts';
import { FakeChannel, reply, silentLogger, testPanKey } from '../payments/sale-fixture.ts';
import { adminQuery, postgresRequired, postgresUrl, probePostgres, testSchemas } from '../../support/postgres-schema.ts';
import { waitingFor } from '../../support/wait-for.ts';
import { idempotency, payment as paymentRecord, attempt as attemptRecord, merchant, terminal } from '../../adapters/store/store-fixtures.ts';

const unreachable = await probePostgres();
const schemas = testSchemas('reswipe_cluster');
const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 25 });
const t0 = 1_764_000_000_000;

class ManualClock {
  constructor(public atMs: number) {}
  nowMs = (): number => this.atMs;
}

/** Two stores on one fresh schema: node A and node B. */
async function twoNodes(t: { after(fn: () => Promise<void>): void }, schema = schemas.fresh()): Promise<{ a: Store; b: Store }> {
  const a = await openStore(postgresUrl, { postgresSchema: schema, poolMax: 4 });
  const b = await openStore(postgresUrl, { postgresSchema: schema, poolMax: 4 });
  a.setNodeId('node-a');
  b.setNodeId('node-b');
  t.after(async () => {
    await a.close();
    await b.close();
  });
  return { a, b };
}

if (unreachable !== null) {
  const reason = `PostgreSQL at ${postgresUrl} is unreachable (${unreachable}); set RESWIPE_TEST_POSTGRES_URL`;
  if (postgresRequired) test('cluster on PostgreSQL (RESWIPE_REQUIRE_POSTGRES=1)', () => assert.fail(reason));
  else test('cluster on PostgreSQL', { skip: reason }, () => undefined);
} else {
  test.after(() => schemas.dropAll());

  test('a work lease is claimed, renewed, expires, is taken over with a new epoch, and fences the old holder', async (t) => {
    const { a, b } = await twoNodes(t);
    const first = await a.write((tx) => tx.claimWorkLease('recovery', 'node-a', t0, 1000));
    assert.deepEqual(first, { name: 'recovery', ownerNode: 'node-a', epoch: 1, expiresAtMs: t0 + 1000 });
    assert.equal(await b.write((tx) => tx.claimWorkLease('recovery', 'node-b', t0 + 500, 1000)), null, 'held by A: B gets nothing');
    const renewed = await a.write((tx) => tx.claimWorkLease('recovery', 'node-a', t0 + 600, 1000));
    assert.deepEqual(renewed, { name: 'recovery', ownerNode: 'node-a', epoch: 1, expiresAtMs: t0 + 1600 }, 'a renewal keeps the epoch');
    assert.equal(await b.write((tx) => tx.claimWorkLease('recovery', 'node-b', t0 + 1599, 1000)), null, 'not expired yet');
    const taken = await b.write((tx) => tx.claimWorkLease('recovery', 'node-b', t0 + 1600, 1000));
    assert.deepEqual(taken, { name: 'recovery', ownerNode: 'node-b', epoch: 2, expiresAtMs: t0 + 2600 }, 'a takeover increments the epoch');
    assert.equal(await a.write((tx) => tx.claimWorkLease('recovery', 'node-a', t0 + 1700, 1000)), null, 'A, back from its pause, cannot take it back');

    // A write made under A's old lease (A paused past it, its clock still says t0 + 700) is rolled back whole.
    const staleWrite = a.write(async (tx) => {
      await tx.upsertMerchant(merchant('M-stale', { createdAtMs: t0, updatedAtMs: t0 }));
      await tx.assertWorkLease(renewed ?? assert.fail('renewed'), t0 + 700);
    });
    await assert.rejects(staleWrite, (error: unknown) => isReswipeError(error, 'RSW_LEASE_LOST'));
    assert.equal(await a.getMerchant('M-stale'), null, 'nothing of the fenced unit was written');
    // B's own writes under its lease go through; releasing lets A take it at once with epoch 3.
    await b.write((tx) => tx.assertWorkLease(taken ?? assert.fail('taken'), t0 + 1800));
    await b.write((tx) => tx.releaseWorkLease(taken ?? assert.fail('taken')));
    assert.equal((await a.write((tx) => tx.claimWorkLease('recovery', 'node-a', t0 + 1801, 1000)))?.epoch, 3);
    assert.deepEqual((await b.listWorkLeases()).map((lease) => [lease.name, lease.ownerNode, lease.epoch]), [['recovery', 'node-a', 3]]);
  });

  test('two nodes racing for one expired lease: exactly one wins', async (t) => {
    const { a, b } = await twoNodes(t);
    for (let round = 0; round < 20; round++) {
      const atMs = t0 + round * 10_000;
      const [byA, byB] = await Promise.all([a.write((tx) => tx.claimWorkLease('advices', 'node-a', atMs, 1000)), b.write((tx) => tx.claimWorkLease('advices', 'node-b', atMs, 1000))]);
      assert.equal([byA, byB].filter((lease) => lease !== null).length, 1, `round ${round}`);
    }
  });

  /** A channel that records who sent which reversal, and answers 00. */
  function recordingChannel(node: string, log: Array<{ node: string; stan: string | undefined; mti: string }>, beforeReply: () => Promise<void> = async () => undefined) {
    return {
      async send(request: IsoMessage): Promise<ChannelSendResult> {
        log.push({ node, stan: String(request.fields[11]), mti: request.mti });
        await beforeReply();
        return reply(request, '00');
      },
    };
  }

  function worker(store: Store, clock: ManualClock, node: string, channel: { send(request: IsoMessage): Promise<ChannelSendResult> }): ReversalWorker {
    return new ReversalWorker({
      store,
      channels: new Map([['bank-a', channel]]),
      clock,
      logger: silentLogger,
      triesMax: 5,
      backoffMs: 1000,
      backoffMsMax: 8000,
      timeoutMs: 2000,
      batchMax: 8,
      pollIntervalMs: 1000,
      acquirerIdFor: () => '00000000001',
      nodeId: node,
    });
  }

  test('a node paused between its reversal claim and its send sends nothing; the other node sends it once', async (t) => {
    const { a, b } = await twoNodes(t);
    const { reversal } = await seedUnknownAttempt(a, t0);
    const sent: Array<{ node: string; stan: string | undefined; mti: string }> = [];
    const clockA = new ManualClock(t0);
    const clockB = new ManualClock(t0);
    // Node A pauses right after its claim (its next read of the store happens 10 s later by its clock).
    const pausingStoreA = new Proxy(a, {
      get(target, property, receiver) {
        if (property === 'getPayment') {
          return async (id: string) => {
            clockA.atMs += 10_000;
            // While A is paused, B finds the row due again and claims and sends the next try.
            clockB.atMs = t0 + 10_000;
            assert.equal(await worker(b, clockB, 'node-b', recordingChannel('node-b', sent)).runOnce(), 1);
            return target.getPayment(id);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    assert.equal(await worker(pausingStoreA, clockA, 'node-a', recordingChannel('node-a', sent)).runOnce(), 0, 'A claimed but did not send');
    assert.deepEqual(sent.map((entry) => entry.node), ['node-b'], 'only B sent');
    assert.equal((await a.getReversal(reversal.id))?.state, 'done');
  });

  test('a try outcome written after another node claimed the row is refused (fenced) and changes nothing', async (t) => {
    const { a, b } = await twoNodes(t);
    const { reversal } = await seedUnknownAttempt(a, t0);
    const sent: Array<{ node: string; stan: string | undefined; mti: string }> = [];
    const clockA = new ManualClock(t0);
    const clockB = new ManualClock(t0 + 60_000);
    // A's reply comes back only after B (whose clock is past A's claim) claimed the row and completed it.
    const slowChannelA = recordingChannel('node-a', sent, async () => {
      assert.equal(await worker(b, clockB, 'node-b', recordingChannel('node-b', sent)).runOnce(), 1);
    });
    assert.equal(await worker(a, clockA, 'node-a', slowChannelA).runOnce(), 0, "A's outcome is stale");
    const row = await a.getReversal(reversal.id);
    assert.equal(row?.state, 'done');
    assert.equal(row?.tries, 2, "B's try stands; A's outcome did not overwrite it");
    assert.equal((await a.listEvents(0, 100, 'reversal.completed')).length, 1, 'completed once');
  });

  test('leadership: one leader at a time; killing its session connection moves leadership to the other node', async (t) => {
    const { a, b } = await twoNodes(t);
    let aMayLead = true;
    const leadA = a.openLeadership?.({ checkIntervalMs: 100, logger: silentLogger, mayLead: () => aMayLead }) ?? assert.fail('postgres elects a leader');
    const leadB = b.openLeadership?.({ checkIntervalMs: 100, logger: silentLogger }) ?? assert.fail('postgres elects a leader');
    const changes: string[] = [];
    leadA.onChange((leader) => changes.push(`a:${leader}`));
    leadB.onChange((leader) => changes.push(`b:${leader}`));
    t.after(async () => {
      await leadA.stop();
      await leadB.stop();
    });
    await leadA.start();
    await leadB.start();
    assert.equal(leadA.isLeader(), true);
    assert.equal(leadB.isLeader(), false);
    const sessions = await adminQuery<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objid = (SELECT hashtext($1)::oid)`,
      [`reswipe.leader:${(a as unknown as { schema: string }).schema}`],
    );
    assert.equal(sessions.length, 1, 'one session holds the leader lock');
    // A's node is gone (its own lease lapsed, so it does not try again); its session is cut.
    aMayLead = false;
    await adminQuery('SELECT pg_terminate_backend($1)', [sessions[0]?.pid]);
    await waitFor('B to lead', () => leadB.isLeader());
    await waitFor('A to know it lost', () => !leadA.isLeader());
    assert.deepEqual(changes.filter((change) => change.endsWith('true')), ['a:true', 'b:true']);
    assert.ok(changes.indexOf('a:false') >= 0, 'A noticed it lost the lead');
  });

  test("a terminal's reversal waiting on a dead node's in_progress sale takes the sale over at once and reverses it", async (t) => {
    const schema = schemas.fresh();
    const { a } = await twoNodes(t, schema);
    const nowMs = Date.now();
    // Node A accepted a sale, stored its intent and sent it, then died: its lease ran out a second ago.
    const scope = 'iso:T0000001';
    const key = '000042:1206040000';
    await a.write(async (tx) => {
      await tx.heartbeatNode({ id: 'node-a', startedAtMs: nowMs - 60_000, heartbeatAtMs: nowMs - 6000, leaseExpiresAtMs: nowMs - 1000, version: 'test', address: 'a:1' });
      await tx.upsertMerchant(merchant('898310048160001', { accepts: ['debit', 'credit'], limits: {}, createdAtMs: nowMs, updatedAtMs: nowMs }));
      await tx.upsertTerminal(terminal('T0000001', '898310048160001', { lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs }));
      await tx.insertPayment(paymentRecord('pay_cut', '898310048160001', { status: 'pending', intake: 'iso', terminalId: 'T0000001', amountMinor: 10_000, terminalStan: '000042', terminalTransmittedAt: '1206040000', responseCode: null, authCode: null, rrn: null, createdAtMs: nowMs - 2000, updatedAtMs: nowMs - 2000 }));
      await tx.insertAttempt(attemptRecord('att_cut', 'pay_cut', { channel: 'bank-a', stan: '000901', outcome: 'pending', sentAtMs: nowMs - 1900, createdAtMs: nowMs - 2000, responseCode: null, authCode: null, rrn: null, completedAtMs: null }));
      await tx.insertIdempotency(idempotency(scope, key, { paymentId: 'pay_cut', state: 'in_progress', responseStatus: null, responseBody: null, createdAtMs: nowMs - 2000, updatedAtMs: nowMs - 2000 }));
    });
    assert.equal(await a.ownerNodeOfPayment('pay_cut'), 'node-a');

    const bank = new FakeChannel('bank-a', (request) => reply(request, '00'));
    const storeB = await openStore(postgresUrl, { postgresSchema: schema, poolMax: 4 });
    const config = validateConfig({
      database: { url: postgresUrl },
      node: { id: 'node-b', heartbeatIntervalMs: 200, leaseMs: 1000 },
      security: { panKey: testPanKey, developmentMode: true },
      log: { level: 'silent' },
      engine: { terminalTimeoutMs: 60_000, reversal: { triesMax: 3, backoffMs: 50, backoffMsMax: 100 } },
      listeners: [],
      channels: [{ name: 'bank-a', host: '127.0.0.1', port: 1, priority: 1, timeoutMs: 1000, acquirerId: '00000000001', echoIntervalMs: 0 }],
      merchants: [{ id: '898310048160001', name: 'Test shop', mcc: '5411', terminals: ['T0000001'] }],
    });
    const gateway = await composeGateway(config, {
      store: storeB,
      random: new SeededRandom(3),
      logger: silentLogger,
      channel: () => bank,
      metrics: createMetrics({ collectDefault: false }),
      http: false,
      listen: false,
      reversalWorker: { timeoutMs: 500, batchMax: 8, pollIntervalMs: 50 },
    });
    t.after(() => gateway.close());
    // The start-up recovery would take it too; the point here is the terminal's own wait, so it starts first.
    const waited = gateway.engine.reverseByTerminal({ terminalId: 'T0000001', merchantId: '898310048160001', amountMinor: 10_000, originalStan: '000042', originalTransmittedAt: '1206040000', reasonCode: '98' });
    await gateway.start();
    const answer = await waited;
    assert.equal(answer.responseCode, '00', 'the terminal reversal is honoured');
    assert.equal(await storeB.ownerNodeOfPayment('pay_cut'), 'node-b', 'node B owns the sale now');
    await waitFor('the cut sale reversed upstream by B', () => bank.reversals().length >= 1);
    await waitFor('the sale final', async () => (await storeB.getPayment('pay_cut'))?.status !== 'pending');
    assert.equal(bank.sales().length, 0, 'the sale itself was never resent');
    const events = await storeB.listEvents(0, 500);
    assert.ok(events.some((event) => event.type === 'reversal.queued' && event.node === 'node-b'), 'events name the node that wrote them');
    await waitFor('the leader change recorded', async () => (await storeB.listEvents(0, 500, 'cluster.leader_elected')).some((event) => event.node === 'node-b' && event.subjectId === 'node-b'));
    const nodes = await storeB.listNodes();
    assert.deepEqual(nodes.map((node) => node.id).sort(), ['node-a', 'node-b']);
  });

  test('a waiting terminal does not take over the sale of a node that is alive', async (t) => {
    const { a, b } = await twoNodes(t);
    const nowMs = Date.now();
    await a.write(async (tx) => {
      await tx.heartbeatNode({ id: 'node-a', startedAtMs: nowMs, heartbeatAtMs: nowMs, leaseExpiresAtMs: nowMs + 60_000, version: 'test', address: 'a:1' });
      await tx.upsertMerchant(merchant('898310048160001', { createdAtMs: nowMs, updatedAtMs: nowMs }));
      await tx.insertPayment(paymentRecord('pay_live', '898310048160001', { status: 'pending', terminalId: null, createdAtMs: nowMs, updatedAtMs: nowMs }));
    });
    assert.deepEqual(await b.listPendingPaymentsOfDeadNodes(nowMs, 'node-b', 10), [], 'alive: not listed');
    assert.deepEqual(await b.listPendingPaymentsOfDeadNodes(nowMs + 60_001, 'node-b', 10), ['pay_live'], 'once its lease expired: listed');
    assert.equal(await b.write((tx) => tx.takeOverPayment('pay_live', 'node-a', 'node-b')), true);
    assert.equal(await a.write((tx) => tx.takeOverPayment('pay_live', 'node-a', 'node-c')), false, 'a second takeover from the old owner fails');
    assert.equal(await a.ownerNodeOfPayment('pay_live'), 'node-b');
  });
}
