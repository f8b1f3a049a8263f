// Goal: signed webhooks from a real gateway reach a receiver at least once, survive its failures, and
// carry one event id per event. Method: start `reswipe issuer-sim` and `reswipe serve` as child
// processes; register an endpoint over the API (its secret shown once); a receiver in this test checks
// every delivery's Reswipe-Signature with the documented algorithm (verifyWebhookSignature), answers
// 500 to the first delivery of each event and 200 to the next; sales then must arrive, retried, with
// the delivery log showing the failed try and the success. Every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { verifyWebhookSignature } from '../../src/core/webhooks/webhook-signature.ts';
import { waitingFor } from '../support/wait-for.ts';

const merchantId = 'M00000000000001';
let dir = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let httpPort = 0;
let adminKey = '';
let merchantKey = '';
let receiver: Server | undefined;
let receiverPort = 0;
let secret = '';

interface Received {
  eventId: string;
  type: string;
  verified: boolean;
  answered: number;
}
const received: Received[] = [];
const seenOnce = new Set<string>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-webhooks-e2e-'));
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const check = verifyWebhookSignature({ header: String(request.headers['reswipe-signature'] ?? ''), body, secrets: [secret], nowSeconds: Math.floor(Date.now() / 1000) });
      const event = JSON.parse(body) as { id: string; type: string };
      // 500 to the first delivery of each event, 200 afterwards: every event must be retried once.
      const answered = seenOnce.has(event.id) ? 200 : 500;
      seenOnce.add(event.id);
      received.push({ eventId: event.id, type: event.type, verified: check.ok, answered });
      response.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
  receiverPort = (receiver.address() as { port: number }).port;

  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir });
  sim = started.child;
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
      security: { panKey: 'e2e-webhooks-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 9_000, autoRetriesMax: 0 },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
      merchants: [{ id: merchantId, name: 'Webhook shop', mcc: '5411', terminals: ['T0000001'] }],
      webhooks: { pollIntervalMs: 200, firstRetryMs: 1000 },
      alerts: { evaluateIntervalMs: 1000 },
    }),
  );
  const key = (...args: string[]) => {
    const result = runReswipe(['keys', 'create', '--config', configPath, ...args], { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.trim();
  };
  adminKey = key('--admin', '--label', 'e2e');
  const served = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir });
  gateway = served.child;
  httpPort = Number(served.info.http);
  merchantKey = key('--merchant', merchantId);
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  await new Promise<void>((resolve) => (receiver === undefined ? resolve() : receiver.close(() => resolve())));
  rmSync(dir, { recursive: true, force: true });
});

let requests = 0;
async function api(method: string, path: string, body?: unknown, key = adminKey): Promise<{ status: number; json: any }> {
  requests += 1;
  const response = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': `webhooks-e2e-${requests}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

const waitFor = waitingFor({ timeoutMs: 30_000, pollMs: 100 });

test('deliveries are signed, retried after a 500, delivered once acknowledged, one event id per event, and logged', async () => {
  const insecure = await api('POST', '/v1/webhook-endpoints', { url: 'ftp://example.test/hook', eventTypes: ['payment.completed'] });
  assert.equal(insecure.status, 400);
  assert.equal(insecure.json.code, 'RSW_WEBHOOK_ENDPOINT_INVALID');

  const created = await api('POST', '/v1/webhook-endpoints', { url: `http://127.0.0.1:${receiverPort}/hook`, eventTypes: ['payment.completed'], description: 'e2e receiver' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  secret = created.json.secret;
  assert.match(secret, /^whsec_/);
  const listed = await api('GET', '/v1/webhook-endpoints');
  assert.ok(!JSON.stringify(listed.json).includes(secret), 'the secret is shown once, never listed');
  // The endpoint's first fan-out starts at the stream's end; give it one tick before the sales.
  await delay(500);

  const sales = 3;
  for (let n = 0; n < sales; n += 1) {
    const answer = await api('POST', '/v1/payments', { merchantId, terminalId: 'T0000001', amountMinor: 1000 + n, currency: 'CNY', card: { number: '6222020000000000018', expiry: '3012', cvv: '123', entryMode: 'chip' } }, merchantKey);
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
  }
  await waitFor(`${sales} events acknowledged`, () => new Set(received.filter((r) => r.answered === 200).map((r) => r.eventId)).size >= sales);

  assert.ok(received.length > 0 && received.every((r) => r.verified), 'every delivery verifies with the documented algorithm');
  const ids = new Set(received.map((r) => r.eventId));
  assert.equal(ids.size, sales, 'one event id per event, the same on the retry');
  for (const id of ids) {
    const answers = received.filter((r) => r.eventId === id).map((r) => r.answered);
    assert.deepEqual(answers, [500, 200], `${id}: refused once, then delivered once`);
  }

  // The receiver answers before the gateway records the answer: wait for the log to catch up.
  let delivered: any[] = [];
  await waitFor('the delivery log', async () => {
    const log = await api('GET', `/v1/webhook-endpoints/${created.json.id}/deliveries?limit=10`);
    assert.equal(log.status, 200);
    delivered = log.json.data.filter((d: any) => d.state === 'delivered');
    return delivered.length === sales;
  });
  for (const delivery of delivered) {
    assert.deepEqual(delivery.attempts.map((a: any) => a.status), [500, 200]);
  }

  // A test send goes through the same outbox and signature.
  const testSend = await api('POST', `/v1/webhook-endpoints/${created.json.id}/test`);
  assert.equal(testSend.status, 202);
  await waitFor('the test delivery', () => received.some((r) => r.type === 'webhook.test' && r.answered === 200));

  const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } }).then((response) => response.text());
  assert.match(metrics, /reswipe_outbox_deliveries\{state="dead"\} 0/);

  const audit = await api('GET', '/v1/audit?limit=50');
  assert.ok(JSON.stringify(audit.json).includes('webhook_endpoint.create'), 'creating an endpoint is audited');
});
