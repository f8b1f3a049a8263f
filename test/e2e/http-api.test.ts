// Goal: HTTP sales through real processes keep the sandbox's promises: magic cards and amounts give the documented answers, a replay is the same answer, a lost reply is never left charged, and health, readiness and metrics reflect the traffic. Method: start `reswipe issuer-sim` and `reswipe serve` as child processes (port 0, a config file pointing at the simulator), create keys with `reswipe keys create`, send sales with fetch over a real socket, and check the simulator's ledger; every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect } from 'node:net';
import { once } from 'node:events';
import { runReswipe, startReswipeJson, stopChild, type StartedReswipe } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger } from '../support/issuer-ledger.ts';

const merchantId = 'M00000000000001';

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
  reversed: boolean;
}

let dir = '';
let configPath = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let simAdminPort = 0;
let httpPort = 0;
let terminalPort = 0;
let adminKey = '';
let merchantKey = '';
let keyCounter = 0;

/** Everything the gateway logged (info level, bounded), to check that no PAN reached the log. */
let gatewayLog = '';
const gatewayLogCharsMax = 4_000_000;

/** Starts a reswipe command in the test's folder; the gateway's stderr is kept (bounded) for the no-PAN-in-the-log check. */
function startJson(args: string[], logLevel = 'warn'): Promise<StartedReswipe> {
  const keepsLog = args[0] === 'serve';
  return startReswipeJson(args, {
    cwd: dir,
    logLevel,
    onStderr: (text) => {
      if (keepsLog && gatewayLog.length < gatewayLogCharsMax) gatewayLog += text;
    },
  });
}

function createKey(...args: string[]): string {
  const result = runReswipe(['keys', 'create', '--config', configPath, ...args], { cwd: dir });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

async function ledger(): Promise<LedgerEntry[]> {
  return (await readIssuerLedger<LedgerEntry>(simAdminPort)).entries;
}

function waitForLedger(what: string, predicate: (entries: LedgerEntry[]) => boolean, timeoutMs = 20_000): Promise<LedgerEntry[]> {
  return waitForIssuerLedger(simAdminPort, what, predicate, timeoutMs);
}

async function sale(card: string, amountMinor: number, options: { key?: string; idempotencyKey?: string } = {}) {
  keyCounter += 1;
  const response = await fetch(`http://127.0.0.1:${httpPort}/v1/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.key ?? merchantKey}`, 'idempotency-key': options.idempotencyKey ?? `e2e-${keyCounter}`, 'content-type': 'application/json' },
    body: JSON.stringify({ merchantId, terminalId: 'T0000001', amountMinor, currency: 'CNY', card: { number: card, expiry: '3012', cvv: '123', entryMode: 'chip' } }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as Record<string, any> };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-http-e2e-'));
  const started = await startJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json']);
  sim = started.child;
  simAdminPort = Number(started.info.adminPort);
  configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
      security: { panKey: 'e2e-http-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 9_000, autoRetriesMax: 0, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
      merchants: [{ id: merchantId, name: 'E2E shop', mcc: '5411', terminals: ['T0000001'] }],
    }),
  );
  adminKey = createKey('--admin', '--label', 'e2e');
  const served = await startJson(['serve', '--config', configPath, '--json'], 'info');
  gateway = served.child;
  httpPort = Number(served.info.http);
  terminalPort = Number((served.info.listeners as Record<string, number>).pos);
  assert.ok(httpPort > 0, 'serve reports its HTTP port');
  merchantKey = createKey('--merchant', merchantId);
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  rmSync(dir, { recursive: true, force: true });
});

test('magic cards and amounts over HTTP give the documented status, code, category and verdict', async () => {
  const rows: Array<{ card: string; amountMinor: number; status: string; code: string; category?: string; verdict?: string }> = [
    { card: '6222020000000000018', amountMinor: 10_000, status: 'approved', code: '00' },
    { card: '6225880000000019', amountMinor: 10_000, status: 'approved', code: '00' },
    { card: '6222020000000000026', amountMinor: 10_000, status: 'declined', code: '41', category: 'card_status', verdict: 'never' },
    { card: '6217000000000000012', amountMinor: 10_000, status: 'declined', code: '51', category: 'insufficient_funds', verdict: 'fix' },
    { card: '6217000000000000046', amountMinor: 10_000, status: 'declined', code: '62', category: 'card_status' },
    { card: '6222020000000000018', amountMinor: 99_961, status: 'declined', code: '61', category: 'limits' },
    { card: '6222020000000000018', amountMinor: 99_903, status: 'declined', code: '03', category: 'merchant_permission' },
  ];
  for (const row of rows) {
    const answer = await sale(row.card, row.amountMinor);
    assert.equal(answer.status, 201, answer.text);
    assert.equal(answer.json.status, row.status, `${row.card} ${row.amountMinor}`);
    assert.equal(answer.json.responseCode, row.code, `${row.card} ${row.amountMinor}`);
    if (row.category !== undefined) assert.equal(answer.json.decline.category, row.category);
    if (row.verdict !== undefined) assert.equal(answer.json.decline.verdict, row.verdict);
    assert.ok(!answer.text.includes(row.card), 'the PAN never comes back');
  }
});

test('a replay over the socket is the first answer and charges nothing more', async () => {
  const first = await sale('6222020000000000018', 12_301, { idempotencyKey: 'e2e-replay' });
  assert.equal(first.json.status, 'approved');
  const second = await sale('6222020000000000018', 12_301, { idempotencyKey: 'e2e-replay' });
  assert.equal(second.status, 201);
  assert.equal(second.text, first.text);
  const other = await sale('6222020000000000018', 12_302, { idempotencyKey: 'e2e-replay' });
  assert.equal(other.status, 422);
  const entries = await ledger();
  assert.equal(entries.filter((entry) => entry.amountMinor === 12_301 && entry.kind === 'charge').length, 1);
});

test('a lost reply is never left charged: the answer is not approved and the reversal credits it back', async () => {
  const answer = await sale('6222020000000000018', 88_802);
  assert.equal(answer.status, 201, answer.text);
  assert.notEqual(answer.json.status, 'approved');
  assert.ok(['unknown', 'reversed'].includes(answer.json.attempts[0]?.outcome), JSON.stringify(answer.json.attempts));
  await waitForLedger('the lost-reply sale reversed', (entries) => {
    const charged = entries.filter((entry) => entry.amountMinor === 88_802 && entry.kind === 'charge');
    return charged.length >= 1 && charged.every((entry) => entry.reversed);
  });
  const id = answer.json.id as string;
  for (let round = 0; round < 100; round++) {
    const view = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/payments/${id}`, { headers: { authorization: `Bearer ${merchantKey}` } })).json()) as { status: string };
    if (view.status === 'reversed') return;
    await delay(100);
  }
  assert.fail('the payment never showed as reversed');
});

test('lists, scopes, readiness and metrics reflect the traffic', async () => {
  const list = await fetch(`http://127.0.0.1:${httpPort}/v1/payments?status=declined&limit=500`, { headers: { authorization: `Bearer ${merchantKey}` } });
  assert.equal(list.status, 200);
  const page = (await list.json()) as { data: Array<{ status: string; createdAt: string }> };
  assert.ok(page.data.length >= 5);
  assert.ok(page.data.every((payment) => payment.status === 'declined'));
  const times = page.data.map((payment) => payment.createdAt);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');

  const noKey = await fetch(`http://127.0.0.1:${httpPort}/v1/payments`);
  assert.equal(noKey.status, 401);
  const merchants = await fetch(`http://127.0.0.1:${httpPort}/v1/merchants`, { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(merchants.status, 200);
  assert.equal(((await merchants.json()) as { data: Array<{ id: string }> }).data[0]?.id, merchantId);

  const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
  assert.equal(ready.status, 200);
  const admin = { headers: { authorization: `Bearer ${adminKey}` } };
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/metrics`)).status, 401, 'operations routes need an admin key on the API port');
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, admin)).text();
  assert.match(metrics, /reswipe_attempts_total\{outcome="approved",code="00",channel="sim"\} [1-9]/);
  assert.match(metrics, /reswipe_attempts_total\{outcome="declined",code="51",channel="sim"\} [1-9]/);
  assert.match(metrics, /reswipe_attempts_total\{outcome="unknown",code="timeout",channel="sim"\} [1-9]/);
  assert.match(metrics, /reswipe_payments_total\{status="approved"\} [1-9]/);
  assert.match(metrics, /reswipe_reversal_queue_depth \d+/);
  assert.match(metrics, /process_resident_memory_bytes/);
  const openapi = (await (await fetch(`http://127.0.0.1:${httpPort}/openapi.json`, admin)).json()) as { paths: Record<string, unknown> };
  assert.ok('/v1/payments' in openapi.paths);
});

test('reswipe_terminal_connections counts an open terminal connection', async () => {
  const socket = connect(terminalPort, '127.0.0.1');
  await once(socket, 'connect');
  try {
    let text = '';
    for (let round = 0; round < 50; round++) {
      text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
      if (/reswipe_terminal_connections 1\n/.test(text)) break;
      await delay(100);
    }
    assert.match(text, /reswipe_terminal_connections 1\n/);
  } finally {
    socket.destroy();
  }
});

test('the gateway log has the HTTP requests and no card number', async () => {
  assert.match(gatewayLog, /"msg":"http request"/);
  for (const pan of ['6222020000000000018', '6225880000000019', '6222020000000000026', '6217000000000000012', '6217000000000000046']) {
    assert.ok(!gatewayLog.includes(pan), `the log holds ${pan.slice(0, 6)}...`);
  }
  for (const key of [adminKey, merchantKey]) assert.ok(!gatewayLog.includes(key.slice(17)), 'the log holds an API key secret');
});
