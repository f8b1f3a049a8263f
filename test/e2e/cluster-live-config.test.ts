// Goal: several `reswipe serve` processes on one PostgreSQL database behave as one gateway for live
// configuration, and start together without deadlocking (issue 19). Method: real processes (an issuer
// simulator, gateways on a database created for this run and dropped after it).
// - Live configuration: two nodes; a channel's priority changed, then a channel disabled, through the
//   HTTP API of node A; node B is polled with sales until one takes the new route, which must happen
//   well before any restart could explain it (a generous bound, not a timing measurement).
// - Fee plans and a restart: node B started first (so it leads, and its projector prices every approved
//   sale from its own plans); a plan PUT through node A prices node B's next approval (read from the
//   payment's fee line); then, with node A stopped, node B restarts with its unchanged config and plans
//   file and still prices with the API's plan and routes by the channel priority changed through node A.
// - Start-up race: ROUNDS rounds (20 by default, E2E_CLUSTER_ROUNDS) of two nodes started at
//   once on a fresh database (no schema yet), each making its first terminal sale at once; every sale
//   must be approved (no deadlock, no RSW_STORE_BUSY answered 96) and charged once at the issuer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runReswipe, startReswipeJson, stopChild, type StartedReswipe } from '../support/reswipe-process.ts';
import { readIssuerLedger } from '../support/issuer-ledger.ts';
import { postgresTestUrl, requirePostgres } from '../support/postgres-test-database.ts';
import { waitingFor } from '../support/wait-for.ts';
import { TerminalClient, de7, saleMessage } from './terminal-client.ts';

const merchantId = 'M00000000000001';
const okPan = '6222020000000000018';
const rounds = Number(process.env.E2E_CLUSTER_ROUNDS ?? 20);
/** "Within a second" is the promise; this bound only proves the change did not wait for a restart. */
const liveChangeBoundMs = 10_000;
const waitFor = waitingFor({ timeoutMs: liveChangeBoundMs, pollMs: 50 });

/** The test's own RESWIPE_* variables are not configuration keys: `serve` would refuse them (undefined leaves them out of the child's environment). */
const testOnlyEnvCleared: NodeJS.ProcessEnv = { RESWIPE_TEST_POSTGRES_URL: undefined, RESWIPE_REQUIRE_POSTGRES: undefined };

let dir = '';
let sim: ChildProcess | undefined;
let simIsoPort = 0;
let simAdminPort = 0;
const children = new Set<ChildProcess>();
const databases: string[] = [];

function databaseUrl(name: string): string {
  const url = new URL(postgresTestUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresTestUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function freshDatabase(): Promise<string> {
  const name = `reswipe_e2e_${randomBytes(5).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  databases.push(name);
  return databaseUrl(name);
}

function writeConfig(name: string, url: string, channels: Array<{ name: string; priority: number }>, extra: { plansFile?: string } = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      database: { url },
      ...(extra.plansFile === undefined ? {} : { fees: { plansFile: extra.plansFile } }),
      security: { panKey: 'e2e-cluster-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 9_000, autoRetriesMax: 0, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      // STANs are unique per channel: two channels on one simulator are told apart by their acquirer id (DE 32), as two banks would be.
      channels: channels.map((channel, index) => ({ ...channel, host: '127.0.0.1', port: simIsoPort, timeoutMs: 2_000, echoIntervalMs: 0, acquirerId: String(index + 1).padStart(11, '0') })),
      merchants: [{ id: merchantId, name: 'Cluster shop', mcc: '5411', terminals: ['T0000001', 'T0000002'] }],
    }),
  );
  return path;
}

async function serve(configPath: string): Promise<StartedReswipe> {
  const started = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir, env: testOnlyEnvCleared, onSpawn: (child) => children.add(child), startTimeoutMs: 60_000 });
  return started;
}

function createKey(configPath: string, ...args: string[]): string {
  const result = runReswipe(['keys', 'create', '--config', configPath, ...args], { cwd: dir, env: { ...process.env, ...testOnlyEnvCleared } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-cluster-e2e-'));
});

after(async () => {
  for (const child of children) await stopChild(child);
  await stopChild(sim);
  await admin(async (client) => {
    for (const name of databases) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }).catch(() => undefined);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

if (await requirePostgres('cluster live configuration end to end')) {
  before(async () => {
    const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir, onSpawn: (child) => children.add(child) });
    sim = started.child;
    simIsoPort = Number(started.info.isoPort);
    simAdminPort = Number(started.info.adminPort);
  });

  test('a channel priority change, a channel disable, a forced circuit and a drain made through node A steer node B\'s next sale, without a restart', { timeout: 180_000 }, async () => {
    const url = await freshDatabase();
    const channels = [
      { name: 'bank-a', priority: 5 },
      { name: 'bank-b', priority: 10 },
    ];
    const configA = writeConfig('node-a', url, channels);
    const configB = writeConfig('node-b', url, channels);
    const adminKey = createKey(configA, '--admin', '--label', 'cluster-e2e');
    const [nodeA, nodeB] = await Promise.all([serve(configA), serve(configB)]);
    // The merchant exists once a node has seeded it from its config.
    const merchantKey = createKey(configA, '--merchant', merchantId);
    const httpA = Number(nodeA.info.http);
    const httpB = Number(nodeB.info.http);
    let keyNo = 0;
    const saleOnB = async (): Promise<{ status: string; channel: string | undefined }> => {
      keyNo += 1;
      const response = await fetch(`http://127.0.0.1:${httpB}/v1/payments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${merchantKey}`, 'idempotency-key': `cluster-${keyNo}`, 'content-type': 'application/json' },
        body: JSON.stringify({ merchantId, terminalId: 'T0000001', amountMinor: 1_000 + keyNo, currency: 'CNY', card: { number: okPan, expiry: '3012', cvv: '123', entryMode: 'chip' } }),
        signal: AbortSignal.timeout(30_000),
      });
      const json = (await response.json()) as { status: string; attempts?: Array<{ channel: string }> };
      return { status: json.status, channel: json.attempts?.[0]?.channel };
    };
    const patchOnA = async (name: string, body: object): Promise<void> => {
      const response = await fetch(`http://127.0.0.1:${httpA}/v1/channels/${name}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.text());
    };

    const first = await saleOnB();
    assert.deepEqual(first, { status: 'approved', channel: 'bank-a' }, 'before any change, bank-a (priority 5) takes the sale');

    // A route change: bank-b becomes the first channel.
    await patchOnA('bank-b', { priority: 1 });
    const rerouted = await waitFor('node B to route a sale to bank-b after the priority change on node A', async () => {
      const answer = await saleOnB();
      assert.equal(answer.status, 'approved');
      return answer.channel === 'bank-b' ? answer : null;
    });
    assert.equal(rerouted.channel, 'bank-b');

    // A channel disable: bank-b is out, bank-a takes the sales again.
    await patchOnA('bank-b', { disabled: true });
    await waitFor('node B to stop routing to the disabled bank-b', async () => {
      const answer = await saleOnB();
      assert.equal(answer.status, 'approved');
      return answer.channel === 'bank-a';
    });
    // And it stays out: the next sales all go to bank-a.
    for (let i = 0; i < 5; i++) assert.equal((await saleOnB()).channel, 'bank-a');

    // An operator's holds made on node A steer node B too: bank-b back, then forced open, then drained.
    const forceOnA = async (name: string, body: object): Promise<void> => {
      const response = await fetch(`http://127.0.0.1:${httpA}/v1/channels/${name}/circuit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.text());
    };
    const nodeBRoutesTo = (channel: string, what: string) =>
      waitFor(what, async () => {
        const answer = await saleOnB();
        assert.equal(answer.status, 'approved');
        return answer.channel === channel;
      });
    await patchOnA('bank-b', { disabled: false });
    await nodeBRoutesTo('bank-b', 'node B to route to the re-enabled bank-b');
    await forceOnA('bank-b', { state: 'open', note: 'cluster e2e: bank maintenance' });
    await nodeBRoutesTo('bank-a', 'node B to skip bank-b forced open on node A');
    for (let i = 0; i < 3; i++) assert.equal((await saleOnB()).channel, 'bank-a', 'a forced-open channel takes no sale');
    await forceOnA('bank-b', { state: 'auto', note: 'cluster e2e: over' });
    await nodeBRoutesTo('bank-b', 'node B to route to bank-b once given back to its breaker');
    await patchOnA('bank-b', { draining: true });
    await nodeBRoutesTo('bank-a', 'node B to keep new sales off the drained bank-b');
    for (let i = 0; i < 3; i++) assert.equal((await saleOnB()).channel, 'bank-a', 'a draining channel takes no new sale');

    // Each node's view of each channel, side by side, from either node.
    const views = await waitFor(
      'both nodes to publish their channel health',
      async () => {
        const response = await fetch(`http://127.0.0.1:${httpA}/v1/channels/health?nodes=all`, { headers: { authorization: `Bearer ${adminKey}` } });
        assert.equal(response.status, 200);
        const body = (await response.json()) as { data: Array<{ nodeId: string; self: boolean; channel: string; stale: boolean }> };
        return new Set(body.data.map((row) => row.nodeId)).size === 2 ? body.data : null;
      },
      20_000,
    );
    assert.equal(views.length, 4, 'two nodes, two channels each');
    assert.equal(views.filter((row) => row.self).length, 2, 'node A marks its own two rows');
    assert.ok(views.every((row) => !row.stale));

    await Promise.all([stopChild(nodeA.child), stopChild(nodeB.child)]);
  });

  test("a fee plan PUT through node A prices node B's next approval, and survives node B's restart with the plan and a channel change", { timeout: 180_000 }, async () => {
    const url = await freshDatabase();
    const channels = [
      { name: 'bank-a', priority: 5 },
      { name: 'bank-b', priority: 10 },
    ];
    // The plans file every node reads: the merchant's plan `standard`, 0.50 % on debit and credit.
    const plansFile = join(dir, 'fee-plans.json');
    writeFileSync(plansFile, JSON.stringify({ plans: [{ name: 'standard', methods: { debit: { rateBps: 50 }, credit: { rateBps: 50 } } }] }));
    const configA = writeConfig('fees-a', url, channels, { plansFile });
    const configB = writeConfig('fees-b', url, channels, { plansFile });
    const adminKey = createKey(configB, '--admin', '--label', 'cluster-fees-e2e');
    // Node B first: it takes the leadership, so its projector writes the fee lines of every approval.
    let nodeB = await serve(configB);
    const merchantKey = createKey(configB, '--merchant', merchantId);
    const nodeA = await serve(configA);
    const httpA = Number(nodeA.info.http);
    const api = async (port: number, method: string, path: string, body?: object, key = adminKey, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    await waitFor('node B to lead', async () => {
      const nodes = await api(Number(nodeB.info.http), 'GET', '/v1/nodes');
      return nodes.json.leader === nodes.json.answeredBy;
    });
    let keyNo = 0;
    /** A sale on node B and its fee line, once B's projector wrote it. */
    const saleOnB = async (): Promise<{ channel: string | undefined; rateBps: number }> => {
      keyNo += 1;
      const httpB = Number(nodeB.info.http);
      const sale = await api(
        httpB,
        'POST',
        '/v1/payments',
        { merchantId, terminalId: 'T0000001', amountMinor: 10_000 + keyNo, currency: 'CNY', card: { number: okPan, expiry: '3012', cvv: '123', entryMode: 'chip' } },
        merchantKey,
        { 'idempotency-key': `cluster-fees-${keyNo}` },
      );
      assert.equal(sale.json.status, 'approved', JSON.stringify(sale.json));
      const channel = (sale.json.attempts as Array<{ channel: string }> | undefined)?.[0]?.channel;
      const fee = await waitFor('the fee line of the sale on node B', async () => (await api(httpB, 'GET', `/v1/payments/${String(sale.json.id)}`, undefined, merchantKey)).json.fee as { rateBps: number } | null);
      return { channel, rateBps: fee.rateBps };
    };

    assert.deepEqual(await saleOnB(), { channel: 'bank-a', rateBps: 50 }, 'before any change: the plans file prices, bank-a routes');
    const put = await api(httpA, 'PUT', '/v1/fee-plans/standard', { methods: { debit: { rateBps: 38 }, credit: { rateBps: 38 } } });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    await waitFor('node B to price an approval with the plan PUT through node A', async () => (await saleOnB()).rateBps === 38);
    const patched = await api(httpA, 'PATCH', '/v1/channels/bank-b', { priority: 1 });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));

    // Node A stops; node B restarts alone with its unchanged config and plans file.
    await stopChild(nodeA.child);
    await stopChild(nodeB.child);
    nodeB = await serve(configB);
    const plan = await api(Number(nodeB.info.http), 'GET', '/v1/fee-plans/standard');
    assert.deepEqual((plan.json.methods as Record<string, unknown>).debit, { rateBps: 38 }, "node B serves the API's plan after its restart");
    assert.deepEqual(await saleOnB(), { channel: 'bank-b', rateBps: 38 }, "after node B's restart: the API's plan prices and the API's channel priority routes");
    await stopChild(nodeB.child);
  });

  test(`start-up race: ${rounds} rounds of two nodes started at once on a fresh database, each making a first sale at once, never deadlock or answer 96`, { timeout: 60_000 + rounds * 45_000 }, async () => {
    let stan = 100;
    const answers: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const url = await freshDatabase();
      const channels = [{ name: 'bank-a', priority: 1 }];
      const configs = [writeConfig(`race-${round}-a`, url, channels), writeConfig(`race-${round}-b`, url, channels)];
      const nodes = await Promise.all(configs.map((path) => serve(path)));
      try {
        const clients = await Promise.all(nodes.map((node) => TerminalClient.connect(Number((node.info.listeners as Record<string, number>).pos))));
        try {
          const terminals = ['T0000001', 'T0000002'];
          // Sign-on, then the first sale, on both nodes at once.
          await Promise.all(
            clients.map(async (client, index) => {
              stan += 1;
              const signOn = await client.request({ mti: '0800', fields: { 7: de7(), 11: String(stan).padStart(6, '0'), 41: terminals[index] ?? '', 70: '001' } });
              assert.equal(signOn.fields[39], '00');
            }),
          );
          const saleAnswers = await Promise.all(
            clients.map((client, index) => {
              stan += 1;
              return client.request(saleMessage({ stan: String(stan).padStart(6, '0'), pan: okPan, amountMinor: 500 + round, terminalId: terminals[index] ?? '', cvv: '123' }));
            }),
          );
          for (const answer of saleAnswers) answers.push(String(answer.fields[39]));
          assert.deepEqual(
            saleAnswers.map((answer) => answer.fields[39]),
            ['00', '00'],
            `round ${round}: first sales answered ${saleAnswers.map((answer) => answer.fields[39]).join(', ')}`,
          );
        } finally {
          for (const client of clients) client.close();
        }
      } finally {
        await Promise.all(nodes.map((node) => stopChild(node.child)));
      }
    }
    assert.equal(answers.length, rounds * 2);
    // Charged once each at the issuer: 2 sales per round, none twice.
    const ledger = await readIssuerLedger<{ kind: string; amountMinor: number; reversed: boolean }>(simAdminPort);
    const raceSales = ledger.entries.filter((entry) => entry.amountMinor >= 500 && entry.amountMinor < 500 + rounds && !entry.reversed);
    assert.equal(raceSales.length, rounds * 2);
  });
}
