// Goal: through real processes, a sale whose reversal dies within its budget waits for an operator, a
// retry that dies again puts it back on the list (never resolved silently), and an operator who asked
// the bank resolves it through the HTTP API; the payment view, the event stream, the audit log and the
// CLI agree with what the bank's ledger says. Method: `reswipe issuer-sim` losing every reply (it
// processes each request, so the sale is charged and each reversal credits it back, but the gateway
// never hears either), `reswipe serve` with a short reversal budget, keys from `reswipe keys create`,
// sales and actions over real sockets, the CLI run against the gateway's own SQLite file; bounded waits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { readIssuerLedger } from '../support/issuer-ledger.ts';
import { openStore } from '../../src/adapters/store/open-store.ts';
import { waitingFor } from '../support/wait-for.ts';

const merchantId = 'M00000000000001';
const card = '6222020000000000018';

let dir = '';
let configPath = '';
let databaseUrl = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let simAdminPort = 0;
let httpPort = 0;
let adminKey = '';
let merchantKey = '';

const env = { RESWIPE_DEVELOPMENT_MODE: '1' };

function reswipe(...args: string[]) {
  return runReswipe([...args, '--config', configPath], { cwd: dir, env: { ...process.env, ...env } });
}

async function api(method: 'GET' | 'POST', path: string, options: { key?: string; body?: unknown; idempotencyKey?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? adminKey}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  const send = () =>
    fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(30_000),
    });
  // A CLI run (spawnSync) blocks this process for seconds; the gateway may close the idle keep-alive
  // socket meanwhile, and the next fetch on it fails before anything was sent. Once more on a new one.
  const response = await send().catch(async (error: unknown) => {
    if (!(error instanceof TypeError)) throw error;
    return send();
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as Record<string, any> };
}

const waitFor = waitingFor({ timeoutMs: 30_000, pollMs: 200 });

/** A sale that the bank charges but whose reply is lost; resolves with its id once it waits for an operator (open). */
async function deadLetteredSale(amountMinor: number, idempotencyKey: string): Promise<string> {
  const created = await api('POST', '/v1/payments', {
    key: merchantKey,
    idempotencyKey,
    body: { merchantId, terminalId: 'T0000001', amountMinor, currency: 'CNY', card: { number: card, expiry: '3012', cvv: '123', entryMode: 'chip' } },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.status, 'pending', 'the outcome is unknown: the client is told to wait');
  const paymentId = String(created.json.id);
  await waitFor(`${paymentId} on the manual-handling list`, async () => {
    const list = await api('GET', '/v1/manual-handling');
    return (list.json.data as Array<{ id: string; state: string }>).some((entry) => entry.id === paymentId && entry.state === 'open');
  });
  return paymentId;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-manual-e2e-'));
  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--fault-reply-lost', '1', '--seed', '13', '--json'], { cwd: dir, env });
  sim = started.child;
  simAdminPort = Number(started.info.adminPort);
  configPath = join(dir, 'config.json');
  databaseUrl = `sqlite:${join(dir, 'gateway.db')}`;
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: databaseUrl, synchronous: 'normal' },
      security: { panKey: 'e2e-manual-pan-key-0123456789' },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 6_000, autoRetriesMax: 0, reversal: { triesMax: 2, backoffMs: 200, backoffMsMax: 200 } },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 1_000, echoIntervalMs: 0 }],
      merchants: [{ id: merchantId, name: 'E2E shop', mcc: '5411', terminals: ['T0000001'] }],
    }),
  );
  const admin = reswipe('keys', 'create', '--admin', '--label', 'ops');
  assert.equal(admin.status, 0, admin.stderr);
  adminKey = admin.stdout.trim();
  const served = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir, env });
  gateway = served.child;
  httpPort = Number(served.info.http);
  const merchant = reswipe('keys', 'create', '--merchant', merchantId);
  assert.equal(merchant.status, 0, merchant.stderr);
  merchantKey = merchant.stdout.trim();
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  rmSync(dir, { recursive: true, force: true });
});

test('a dead-lettered sale: a retry that dies again stays open; the operator resolves it as the bank says, and every record agrees', async () => {
  const paymentId = await deadLetteredSale(10_000, 'e2e-manual-1');

  // Retry from the CLI (as an operator at a shell); the running gateway's queue sends it, the bank loses the reply again.
  const retried = reswipe('manual-handling', 'retry', paymentId, '--note', 'line flapping; try once more', '--json');
  assert.equal(retried.status, 0, retried.stderr);
  assert.equal(JSON.parse(retried.stdout).state, 'retrying');
  await waitFor('the retried reversal to die again', async () => {
    const one = await api('GET', `/v1/manual-handling/${paymentId}`);
    return one.json.state === 'open' && one.json.reversals[0]?.state === 'dead' ? one.json : null;
  });
  assert.equal((await api('GET', `/v1/payments/${paymentId}`, { key: merchantKey })).json.status, 'pending', 'nothing resolved itself');

  // The operator asks the bank: its ledger shows the charge credited back by a reversal whose reply was lost.
  const ledger = await readIssuerLedger<{ amountMinor: number; kind: string; reversed: boolean }>(simAdminPort);
  assert.equal(ledger.totals.netChargedMinor, 0, 'the bank holds no money for this sale');
  const resolved = await api('POST', `/v1/manual-handling/${paymentId}/resolve`, { idempotencyKey: 'ops-1', body: { outcome: 'not-charged', note: 'issuer ledger: charged then reversed, net 0 (simulator admin API)' } });
  assert.equal(resolved.status, 200, resolved.text);
  assert.equal(resolved.json.state, 'resolved');
  assert.equal(resolved.json.resolution.outcome, 'not-charged');

  const view = await api('GET', `/v1/payments/${paymentId}`, { key: merchantKey });
  assert.equal(view.json.status, 'reversed');
  assert.equal(view.json.fee, null);
  assert.deepEqual((view.json.attempts as Array<{ outcome: string }>).map((attempt) => attempt.outcome), ['reversed']);
  const again = await api('POST', `/v1/manual-handling/${paymentId}/resolve`, { idempotencyKey: 'ops-2', body: { outcome: 'charged', note: 'second opinion' } });
  assert.equal(again.status, 409);
  assert.equal(again.json.code, 'RSW_MANUAL_ALREADY_RESOLVED');

  const events = await api('GET', '/v1/events?after=0&limit=500');
  const types = (events.json.data as Array<{ type: string; subjectId: string | null }>).filter((event) => event.subjectId === paymentId).map((event) => event.type);
  assert.equal(types.filter((type) => type === 'payment.manual_handling').length, 2, 'flagged twice: first dead letter, then the retry that died');
  assert.equal(types.filter((type) => type === 'payment.manual_retry').length, 1);
  assert.equal(types.filter((type) => type === 'payment.manual_resolved').length, 1);
  assert.ok(types.indexOf('payment.manual_retry') < types.lastIndexOf('payment.manual_handling'));
  assert.ok(types.lastIndexOf('payment.manual_handling') < types.indexOf('payment.manual_resolved'));

  const shown = reswipe('manual-handling', 'show', paymentId);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /resolved not-charged by key:\S+ at /);

  // The audit log (read from the gateway's database while it runs): who retried, who resolved.
  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    const audit = (await store.listAudit({ limit: 100 })).filter((record) => record.subjectId === paymentId).reverse();
    assert.deepEqual(audit.map((record) => [record.action, record.actor.split(':')[0]]), [['manual_handling.retry_reversal', 'cli'], ['manual_handling.resolve', 'key']]);
  } finally {
    await store.close();
  }
});

test('resolved as charged: the sale becomes approved with its fee, joins the day it was made, and leaves the list', async () => {
  const paymentId = await deadLetteredSale(20_000, 'e2e-manual-2');
  const resolved = await api('POST', `/v1/manual-handling/${paymentId}/resolve`, { idempotencyKey: 'ops-3', body: { outcome: 'charged', note: 'bank hotline: captured, ref 5521' } });
  assert.equal(resolved.status, 200, resolved.text);
  const view = await api('GET', `/v1/payments/${paymentId}`, { key: merchantKey });
  assert.equal(view.json.status, 'approved');
  assert.ok(view.json.fee !== null && view.json.fee.feeMinor > 0, 'the fee an approved sale gets');
  const list = await api('GET', '/v1/manual-handling');
  assert.ok(!(list.json.data as Array<{ id: string }>).some((entry) => entry.id === paymentId));
  const replay = await api('POST', `/v1/manual-handling/${paymentId}/resolve`, { idempotencyKey: 'ops-3', body: { outcome: 'charged', note: 'bank hotline: captured, ref 5521' } });
  assert.equal(replay.status, 200);
  assert.equal(replay.text, resolved.text, 'the Idempotency-Key replays the first answer');
});
