// Goal: the HTTP API's access rules hold: scopes decide what a key may do (a payments:write key
// cannot refund: 403 RSW_AUTH_SCOPE), expired keys are refused, rate limits answer 429 with
// Retry-After (per key, per address, failed authentications), every answer carries the security
// headers, CORS answers only allow-listed origins, and every state-changing action lands in the
// audit log readable through GET /v1/audit. Method: Fastify inject over the real engine,
// FollowUps and SQLite store, with keys stored the way `reswipe keys create` stores them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHttpApp } from '../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../src/app/http-use-cases.ts';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import type { ApiScope } from '../../../src/core/access/api-scope.ts';
import { createFixture, merchantId, okPan, silentLogger, terminalId } from '../../app/payments/sale-fixture.ts';

const panKey = 'test-pan-key-0123456789';

async function setUp(http: Record<string, unknown> = {}, logger = silentLogger) {
  const fixture = await createFixture({ settings: { panKey } });
  const nowMs = Date.now();
  const keyWith = (scopes: ApiScope[], extra: { expiresAtMs?: number } = {}) => generateApiKey({ scopes, merchantId: scopes.includes('admin') ? null : merchantId, ...extra }, scopes.join(' '), nowMs);
  const keys = {
    admin: keyWith(['admin']),
    till: keyWith(['payments:write', 'payments:read']),
    refunds: keyWith(['refunds:write']),
    reader: keyWith(['payments:read']),
    settlements: keyWith(['settlements:read']),
    expired: keyWith(['payments:read'], { expiresAtMs: nowMs - 1 }),
  };
  await fixture.store.write(async (tx) => {
    for (const key of Object.values(keys)) await tx.insertApiKey(key.record);
  });
  const transactions = fixture.gateway.transactions;
  const config = validateConfig({ security: { panKey, developmentMode: true }, engine: { terminalTimeoutMs: 3_000 }, log: { level: 'silent' }, http });
  const clock = { nowMs: () => Date.now() };
  const app = await buildHttpApp({ engine: fixture.engine, transactions, store: fixture.store, clock, logger, config, ...createHttpUseCases({ store: fixture.store, clock, logger, config }) });
  let counter = 0;
  const post = (url: string, body: Record<string, unknown>, key: string) => {
    counter += 1;
    return app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'idempotency-key': `k-${process.pid}-${counter}` }, payload: body });
  };
  const get = (url: string, key?: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { ...headers, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) } });
  const sale = async (key = keys.till.key) => {
    const response = await post('/v1/payments', { terminalId, amountMinor: 10_000, currency: 'CNY', card: { number: okPan, expiry: '3012', entryMode: 'chip' }, capture: true }, key);
    assert.equal(response.statusCode, 201, response.body);
    return response.json().id as string;
  };
  return {
    app,
    post,
    get,
    sale,
    keys: Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, key.key])) as Record<keyof typeof keys, string>,
    keyIds: Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, key.record.id])) as Record<keyof typeof keys, string>,
    async close() {
      await app.close();
      await fixture.close();
    },
  };
}

test('scopes: a payments:write key sells but cannot refund or void (403 RSW_AUTH_SCOPE, nothing done); a refunds:write key can; a reader only reads', async () => {
  const t = await setUp();
  try {
    const saleId = await t.sale();
    for (const route of ['refunds', 'void']) {
      const refused = await t.post(`/v1/payments/${saleId}/${route}`, { amountMinor: 10_000 }, t.keys.till);
      assert.equal(refused.statusCode, 403, route);
      assert.equal(refused.json().code, 'RSW_AUTH_SCOPE');
      assert.match(refused.json().detail, /refunds:write/);
    }
    assert.equal((await t.get(`/v1/payments/${saleId}`, t.keys.till)).json().status, 'approved', 'nothing was refunded');
    const refund = await t.post(`/v1/payments/${saleId}/refunds`, { amountMinor: 1_000 }, t.keys.refunds);
    assert.equal(refund.statusCode, 201, refund.body);
    const readerSale = await t.post('/v1/payments', { terminalId, amountMinor: 100, currency: 'CNY', card: { number: okPan, expiry: '3012', entryMode: 'chip' } }, t.keys.reader);
    assert.equal(readerSale.json().code, 'RSW_AUTH_SCOPE');
    assert.equal((await t.get('/v1/payments', t.keys.reader)).statusCode, 200);
    assert.equal((await t.get('/v1/payments', t.keys.refunds)).json().code, 'RSW_AUTH_SCOPE');
    // settlements:read reads its own merchant's settlements only, and nothing else.
    assert.equal((await t.get(`/v1/settlements?merchantId=${merchantId}`, t.keys.settlements)).statusCode, 200);
    assert.equal((await t.get('/v1/settlements', t.keys.settlements)).json().code, 'RSW_AUTH_MERCHANT_SCOPE');
    assert.equal((await t.get('/v1/settlements?merchantId=M00000000000002', t.keys.settlements)).json().code, 'RSW_AUTH_MERCHANT_SCOPE');
    assert.equal((await t.get('/v1/fee-plans', t.keys.settlements)).json().code, 'RSW_AUTH_ADMIN_REQUIRED');
    assert.equal((await t.get('/v1/audit', t.keys.till)).json().code, 'RSW_AUTH_ADMIN_REQUIRED');
  } finally {
    await t.close();
  }
});

test('an expired key is refused with 401 RSW_AUTH_EXPIRED', async () => {
  const t = await setUp();
  try {
    const response = await t.get('/v1/payments', t.keys.expired);
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().code, 'RSW_AUTH_EXPIRED');
  } finally {
    await t.close();
  }
});

test('security headers on API answers, errors, health and docs; HSTS only over TLS', async () => {
  const t = await setUp();
  try {
    for (const response of [await t.get('/v1/payments', t.keys.reader), await t.get('/v1/payments'), await t.get('/healthz'), await t.get('/v1/nope', t.keys.reader)]) {
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['x-frame-options'], 'DENY');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
      assert.equal(response.headers['strict-transport-security'], undefined, 'never on plain HTTP');
      assert.equal(response.headers['access-control-allow-origin'], undefined, 'CORS is off unless configured');
    }
    const docs = await t.get('/docs/', t.keys.admin);
    assert.equal(docs.headers['x-content-type-options'], 'nosniff');
    assert.match(String(docs.headers['content-security-policy']), /script-src/);
    const overTls = await t.get('/healthz', undefined, { 'x-forwarded-proto': 'https' });
    assert.equal(overTls.headers['strict-transport-security'], undefined, 'a client cannot claim TLS when no proxy is trusted');
  } finally {
    await t.close();
  }
});

test('CORS: only allow-listed origins get Access-Control-Allow-Origin; preflight answers them and nobody else', async () => {
  const t = await setUp({ cors: { allowedOrigins: ['https://till.example.com'] } });
  try {
    const allowed = await t.get('/v1/payments', t.keys.reader, { origin: 'https://till.example.com' });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://till.example.com');
    assert.match(String(allowed.headers['access-control-expose-headers']), /retry-after/);
    const other = await t.get('/v1/payments', t.keys.reader, { origin: 'https://evil.example.net' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const preflight = await t.app.inject({ method: 'OPTIONS', url: '/v1/payments', headers: { origin: 'https://till.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.statusCode, 204);
    assert.match(String(preflight.headers['access-control-allow-headers']), /idempotency-key/);
    const strangerPreflight = await t.app.inject({ method: 'OPTIONS', url: '/v1/payments', headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' } });
    assert.equal(strangerPreflight.statusCode, 404);
    assert.equal(strangerPreflight.headers['access-control-allow-origin'], undefined);
  } finally {
    await t.close();
  }
});

test('rate limits: 40 wrong keys from one address meet 429 with Retry-After, and then even a good key from there waits', async () => {
  const t = await setUp({ rateLimit: { authFailuresPerAddress: { max: 20, windowMs: 60_000 } } });
  try {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let n = 0; n < 40; n++) {
      const response = await t.get('/v1/payments', `rsw_AAAAAAAAAAAA_${String(n).padStart(32, 'B')}`);
      statuses.push(response.statusCode);
      if (response.statusCode === 429) {
        retryAfter = String(response.headers['retry-after']);
        assert.equal(response.json().code, 'RSW_HTTP_RATE_LIMITED');
      }
    }
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
    assert.deepEqual(statuses.slice(20), Array(20).fill(429));
    assert.match(retryAfter ?? '', /^[1-9][0-9]*$/);
    assert.equal((await t.get('/v1/payments', t.keys.reader)).statusCode, 429);
    assert.equal((await t.get('/healthz')).statusCode, 200, 'health checks are never limited');
  } finally {
    await t.close();
  }
});

test('rate limits: a burst with one key gets 429 with Retry-After after perKey.max; another key is unaffected; per-address bounds unauthenticated routes', async () => {
  const t = await setUp({ rateLimit: { perKey: { max: 5, windowMs: 60_000 }, perAddress: { max: 15, windowMs: 60_000 } } });
  try {
    const statuses: number[] = [];
    for (let n = 0; n < 7; n++) statuses.push((await t.get('/v1/payments', t.keys.reader)).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const limited = await t.get('/v1/payments', t.keys.reader);
    assert.match(String(limited.headers['retry-after']), /^[1-9][0-9]*$/);
    assert.equal((await t.get('/v1/payments', t.keys.till)).statusCode, 200, 'the limit is per key');
    // 9 requests so far from this address; the unauthenticated decline catalogue shares the address bound.
    const open: number[] = [];
    for (let n = 0; n < 8; n++) open.push((await t.get('/v1/decline-codes')).statusCode);
    assert.deepEqual(open, [200, 200, 200, 200, 200, 200, 429, 429]);
  } finally {
    await t.close();
  }
});

test('audit: refund, void, capture, cancel, export, fee plan, merchant, terminal and channel changes are recorded with who, from where and the request id; GET /v1/audit filters and pages', async () => {
  const t = await setUp();
  try {
    const refundSale = await t.sale();
    assert.equal((await t.post(`/v1/payments/${refundSale}/refunds`, { amountMinor: 1_000 }, t.keys.refunds)).statusCode, 201);
    const voidSale = await t.sale();
    assert.equal((await t.post(`/v1/payments/${voidSale}/void`, {}, t.keys.refunds)).statusCode, 201);
    const preauth = async () => {
      const response = await t.post('/v1/payments', { terminalId, amountMinor: 5_000, currency: 'CNY', card: { number: okPan, expiry: '3012', entryMode: 'chip' }, capture: false }, t.keys.till);
      return response.json().id as string;
    };
    const toCapture = await preauth();
    assert.equal((await t.post(`/v1/payments/${toCapture}/capture`, { amountMinor: 5_000 }, t.keys.till)).statusCode, 201);
    const toCancel = await preauth();
    assert.equal((await t.post(`/v1/payments/${toCancel}/cancel`, {}, t.keys.refunds)).statusCode, 201);
    assert.equal((await t.get('/v1/payments.csv', t.keys.reader)).statusCode, 200);
    const plan = (await t.get('/v1/fee-plans/standard', t.keys.admin)).json() as Record<string, unknown>;
    assert.equal((await t.app.inject({ method: 'PUT', url: '/v1/fee-plans/standard', headers: { authorization: `Bearer ${t.keys.admin}` }, payload: plan })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'PATCH', url: `/v1/merchants/${merchantId}`, headers: { authorization: `Bearer ${t.keys.admin}` }, payload: { name: 'Renamed' } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'PATCH', url: `/v1/terminals/${terminalId}`, headers: { authorization: `Bearer ${t.keys.admin}` }, payload: { limits: {} } })).statusCode, 200);
    const channel = await t.app.inject({ method: 'POST', url: '/v1/channels', headers: { authorization: `Bearer ${t.keys.admin}` }, payload: { name: 'bank-audit', host: '127.0.0.1', port: 9, timeoutMs: 1_000 } });
    assert.equal(channel.statusCode, 201, channel.body);

    const page = await t.get('/v1/audit?limit=500', t.keys.admin);
    assert.equal(page.statusCode, 200, page.body);
    const records = page.json().data as Array<{ action: string; actor: string; subjectId: string | null; clientAddress: string | null; requestId: string | null; detail: Record<string, unknown> }>;
    const actions = records.map((record) => record.action).sort();
    assert.deepEqual(actions, ['channel.create', 'fee_plan.put', 'merchant.update', 'payment.completion', 'payment.export', 'payment.preauth_cancel', 'payment.refund', 'payment.void', 'terminal.update'].sort());
    const refund = records.find((record) => record.action === 'payment.refund');
    assert.equal(refund?.actor, `key:${t.keyIds.refunds}`);
    assert.equal(refund?.clientAddress, '127.0.0.1');
    assert.match(String(refund?.requestId), /.+/);
    assert.equal(refund?.detail.originalPaymentId, refundSale);
    assert.equal(records.find((record) => record.action === 'payment.export')?.actor, `key:${t.keyIds.reader}`);

    const filtered = (await t.get('/v1/audit?action=payment.void', t.keys.admin)).json().data as Array<{ action: string }>;
    assert.deepEqual(filtered.map((record) => record.action), ['payment.void']);
    const byActor = (await t.get(`/v1/audit?actor=key:${t.keyIds.admin}`, t.keys.admin)).json().data as unknown[];
    assert.equal(byActor.length, 4);
    const first = (await t.get('/v1/audit?limit=5', t.keys.admin)).json() as { data: Array<{ id: string }>; nextCursor: string };
    const second = (await t.get(`/v1/audit?limit=5&cursor=${encodeURIComponent(first.nextCursor)}`, t.keys.admin)).json() as { data: Array<{ id: string }>; nextCursor: string | null };
    assert.deepEqual([...first.data, ...second.data].map((record) => record.id).sort(), records.map((record) => (record as unknown as { id: string }).id).sort());
    assert.equal(second.nextCursor, null);
    assert.equal((await t.get('/v1/audit?limit=501', t.keys.admin)).statusCode, 400, 'the page size is bounded');
    // Never editable: the API has no route that changes or deletes a record.
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      assert.equal((await t.app.inject({ method, url: '/v1/audit', headers: { authorization: `Bearer ${t.keys.admin}` } })).statusCode, 404, method);
    }
    const openapi = (await t.get('/openapi.json', t.keys.admin)).json() as { paths: Record<string, Record<string, unknown>> };
    assert.ok(openapi.paths['/v1/audit']?.get !== undefined, 'GET /v1/audit is in the OpenAPI document');
  } finally {
    await t.close();
  }
});

test('HSTS is sent over TLS: here a trusted proxy says the client connection was https', async () => {
  const t = await setUp({ trustProxy: ['127.0.0.1'] });
  try {
    const overTls = await t.get('/healthz', undefined, { 'x-forwarded-proto': 'https' });
    assert.equal(overTls.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal((await t.get('/healthz')).headers['strict-transport-security'], undefined);
  } finally {
    await t.close();
  }
});

test('request log lines name the key id and the client address (the address a trusted proxy names), never the key', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = { info: (details: object, message: string) => void (message === 'http request' && lines.push(details as Record<string, unknown>)), warn() {}, error() {}, debug() {} };
  const t = await setUp({ trustProxy: ['127.0.0.1'] }, logger);
  try {
    await t.get('/v1/payments', t.keys.reader, { 'x-forwarded-for': '203.0.113.9' });
    await t.get('/v1/payments');
    assert.equal(lines.length, 2);
    assert.deepEqual([lines[0]?.keyId, lines[0]?.clientAddress, lines[0]?.route, lines[0]?.status], [t.keyIds.reader, '203.0.113.9', '/v1/payments', 200]);
    assert.deepEqual([lines[1]?.keyId, lines[1]?.clientAddress, lines[1]?.status], [null, '127.0.0.1', 401]);
    assert.ok(!JSON.stringify(lines).includes(t.keys.reader.slice(17)), 'the secret is never logged');
  } finally {
    await t.close();
  }
});
