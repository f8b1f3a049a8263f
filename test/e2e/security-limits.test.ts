// Goal: the hardening of the HTTP API holds on a real `serve` process: a burst with one key meets
// 429 with Retry-After, 40 wrong keys meet 429, /metrics is not served on the API port when the
// operations listener is configured (and answers there), and answers carry the security headers.
// Method: `reswipe keys create` and `reswipe serve --json` as child processes on a temp SQLite file,
// then plain fetch() against the ports serve reports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';

const merchantId = 'M00000000000001';
const perKeyMax = 8;
let dir = '';
let gateway: ChildProcess | undefined;
let api = '';
let operations = '';
let tillKey = '';
let adminKey = '';
let otherTillKey = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-e2e-security-'));
  const configPath = join(dir, 'reswipe.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
      security: { panKey: 'e2e-security-pan-key-0123456789', developmentMode: true },
      http: {
        port: 0,
        rateLimit: { perKey: { max: perKeyMax, windowMs: 60_000 }, authFailuresPerAddress: { max: 20, windowMs: 60_000 } },
        operations: { mode: 'listener', host: '127.0.0.1', port: 0 },
      },
      listeners: [{ name: 'pos', port: 0 }],
      merchants: [{ id: merchantId, name: 'E2E shop', mcc: '5411', terminals: ['T0000001'] }],
    }),
  );
  const env = { RESWIPE_DEVELOPMENT_MODE: '1' };
  const served = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir, env });
  gateway = served.child;
  api = `http://127.0.0.1:${Number(served.info.http)}`;
  operations = `http://127.0.0.1:${Number(served.info.operations)}`;
  assert.ok(Number(served.info.operations) > 0, 'serve reports the operations port');
  const create = (...args: string[]) => {
    const result = runReswipe(['keys', 'create', '--config', configPath, ...args], { cwd: dir, env: { ...process.env, ...env } });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.trim();
  };
  // Keys are created after serve has seeded the merchant from the config.
  tillKey = create('--merchant', merchantId, '--scope', 'payments:write,payments:read', '--label', 'till');
  adminKey = create('--admin');
  otherTillKey = create('--merchant', merchantId, '--scope', 'payments:write', '--label', 'till 2');
});

after(async () => {
  await stopChild(gateway);
  rmSync(dir, { recursive: true, force: true });
});

test('a burst with one key gets 429 with Retry-After once past the per-key limit; another key still works', async () => {
  const statuses: number[] = [];
  let limited: Response | undefined;
  for (let n = 0; n < perKeyMax + 4; n++) {
    const response = await fetch(`${api}/v1/payments?limit=1`, { headers: { authorization: `Bearer ${tillKey}` } });
    statuses.push(response.status);
    if (response.status === 429) limited = response;
    await response.arrayBuffer();
  }
  assert.deepEqual(statuses, [...Array(perKeyMax).fill(200), 429, 429, 429, 429]);
  assert.match(limited?.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
  const admin = await fetch(`${api}/v1/merchants`, { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(admin.status, 200);
});

test('a refund with a payments:write key is refused with 403 RSW_AUTH_SCOPE', async () => {
  const response = await fetch(`${api}/v1/payments/pay_anything/refunds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${otherTillKey}`, 'content-type': 'application/json', 'idempotency-key': 'e2e-1' },
    body: JSON.stringify({ amountMinor: 100 }),
  });
  assert.equal(response.status, 403);
  assert.equal(((await response.json()) as { code: string }).code, 'RSW_AUTH_SCOPE');
});

test('/metrics, /docs and /openapi.json are not on the API port; the operations listener serves them; health stays on the API port', async () => {
  for (const path of ['/metrics', '/openapi.json', '/docs/']) {
    const onApi = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
    assert.equal(onApi.status, 404, path);
    await onApi.arrayBuffer();
  }
  const metrics = await fetch(`${operations}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /reswipe_/);
  const openapi = await fetch(`${operations}/openapi.json`);
  assert.ok(((await openapi.json()) as { paths: Record<string, unknown> }).paths['/v1/audit'] !== undefined);
  assert.equal((await fetch(`${api}/healthz`)).status, 200);
  // Readiness depends on channels (none here); what matters is that it answers without a key.
  const ready = await fetch(`${api}/readyz`);
  assert.ok([200, 503].includes(ready.status), `readyz answered ${ready.status}`);
  await ready.arrayBuffer();
});

test('API answers carry the security headers, errors included', async () => {
  for (const response of [await fetch(`${api}/healthz`), await fetch(`${api}/v1/payments`)]) {
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    await response.arrayBuffer();
  }
});

test('40 wrong keys from one address meet 429 with Retry-After', async () => {
  const statuses: number[] = [];
  for (let n = 0; n < 40; n++) {
    const response = await fetch(`${api}/v1/payments`, { headers: { authorization: `Bearer rsw_AAAAAAAAAAAA_${String(n).padStart(32, 'C')}` } });
    statuses.push(response.status);
    if (response.status === 429) assert.match(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
    await response.arrayBuffer();
  }
  assert.ok(statuses.includes(429), `no 429 among ${statuses.join(',')}`);
  assert.deepEqual(statuses.slice(-10), Array(10).fill(429));
});
