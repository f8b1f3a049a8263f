// Goal: the decline HTTP API answers with the shared Diagnosis shape, applies context in POST /diagnose, and reports bad input as problem+json with stable codes. Method: a bare Fastify instance with the plugin under /v1 (and @fastify/swagger for the OpenAPI check), exercised with inject().
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import swagger from '@fastify/swagger';
import { declineRoutes } from '../../../../src/adapters/http/routes/decline-routes.ts';

const fixedNowMs = Date.parse('2026-11-25T10:00:00Z');
const app = Fastify();
await app.register(swagger, { openapi: { info: { title: 'reswipe', version: 'test' } } });
await app.register(async (scope) => declineRoutes(scope, { nowMs: () => fixedNowMs }), { prefix: '/v1' });
await app.ready();
after(() => app.close());

test('GET /v1/decline-codes lists all 115 codes; filters by verdict', async () => {
  const all = await app.inject({ method: 'GET', url: '/v1/decline-codes' });
  assert.equal(all.statusCode, 200);
  const body = all.json() as { data: Array<{ code: string; verdict: string; advice: { customer: { zh: string } } }> };
  assert.equal(body.data.length, 115);
  assert.ok(body.data.every((x) => x.advice.customer.zh.length > 0));
  const never = await app.inject({ method: 'GET', url: '/v1/decline-codes?verdict=never' });
  const neverBody = never.json() as { data: Array<{ verdict: string }> };
  assert.ok(neverBody.data.length > 0 && neverBody.data.every((x) => x.verdict === 'never'));
});

test('GET /v1/decline-codes/{code} returns the explanation; unknown codes are fix, malformed ones 400', async () => {
  const r = await app.inject({ method: 'GET', url: '/v1/decline-codes/51' });
  assert.equal(r.statusCode, 200);
  const x = r.json() as Record<string, unknown>;
  for (const key of ['code', 'meaning', 'category', 'party', 'verdict', 'waitSeconds', 'advice', 'terminalVerdict', 'known']) assert.ok(key in x, key);
  assert.equal(x.verdict, 'fix');
  const lower = await app.inject({ method: 'GET', url: '/v1/decline-codes/a0' });
  assert.equal((lower.json() as { code: string }).code, 'A0');
  const unknown = await app.inject({ method: 'GET', url: '/v1/decline-codes/C1' });
  assert.deepEqual([(unknown.json() as { verdict: string }).verdict, (unknown.json() as { known: boolean }).known], ['fix', false]);
  const bad = await app.inject({ method: 'GET', url: '/v1/decline-codes/123' });
  assert.equal(bad.statusCode, 400);
  assert.match(String(bad.headers['content-type'] ?? ''), /application\/problem\+json/);
  const problem = bad.json() as { type: string; title: string; status: number; code: string; detail: string; field: string };
  assert.equal(problem.code, 'RSW_DECLINE_BAD_CODE');
  assert.equal(problem.status, 400);
  assert.equal(problem.field, 'code');
});

test('symptoms: list and one; an unknown id is 404', async () => {
  const list = await app.inject({ method: 'GET', url: '/v1/symptoms' });
  assert.equal((list.json() as { data: unknown[] }).data.length, 6);
  const one = await app.inject({ method: 'GET', url: '/v1/symptoms/no-paper' });
  assert.equal((one.json() as { id: string }).id, 'no-paper');
  const missing = await app.inject({ method: 'GET', url: '/v1/symptoms/smoke' });
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as { code: string }).code, 'RSW_DECLINE_UNKNOWN_SYMPTOM');
});

test('POST /v1/diagnose: a code, an outcome, and context that applies the scheme budgets', async () => {
  const plain = await app.inject({ method: 'POST', url: '/v1/diagnose', payload: { code: '51' } });
  assert.equal(plain.statusCode, 200);
  const p = plain.json() as { diagnosis: { verdict: string; party: string }; terminal: { de39: string; de44: string; de63: { zh: string } }; nextAttempt: null };
  assert.deepEqual([p.diagnosis.verdict, p.diagnosis.party, p.terminal.de39, p.terminal.de44], ['fix', 'cardholder', '51', 'FIX']);
  assert.equal(p.nextAttempt, null);

  const unknownOutcome = await app.inject({ method: 'POST', url: '/v1/diagnose', payload: { outcome: 'no_reply' } });
  assert.deepEqual((unknownOutcome.json() as { terminal: { de39: string; de44: string } }).terminal, { de39: '98', de44: 'WAIT:30', de63: (unknownOutcome.json() as { terminal: { de63: unknown } }).terminal.de63 });

  // Sixteen earlier Visa declines of category 2 in the window: the 2024-04 edition refuses the next.
  const attempts = Array.from({ length: 15 }, (_, i) => ({ at: new Date(fixedNowMs - (i + 1) * 3_600_000).toISOString(), responseCode: '51', outcome: 'declined', merchantId: 'M1', amountMinor: 100 }));
  const visa = await app.inject({ method: 'POST', url: '/v1/diagnose', payload: { code: '51', bin: '411111', merchantId: 'M1', amountMinor: 100, edition: '2024-04', attempts } });
  assert.equal(visa.statusCode, 200, visa.body);
  const v = visa.json() as { scheme: { brand: string; visaCategory: number }; nextAttempt: { allowed: boolean; until: string; diagnosis: { code: string; verdict: string } } };
  assert.equal(v.scheme.brand, 'visa');
  assert.equal(v.scheme.visaCategory, 2);
  assert.equal(v.nextAttempt.allowed, false);
  assert.equal(v.nextAttempt.diagnosis.code, '65');
  assert.match(v.nextAttempt.until, /^2026-12-/);
  const allowed = await app.inject({ method: 'POST', url: '/v1/diagnose', payload: { code: '51', bin: '411111', merchantId: 'M1', amountMinor: 100, edition: '2026-04', attempts } });
  assert.equal((allowed.json() as { nextAttempt: { allowed: boolean } }).nextAttempt.allowed, true);

  const mc = await app.inject({ method: 'POST', url: '/v1/diagnose', payload: { code: '05', brand: 'mastercard', mastercardAdviceCode: '03' } });
  assert.equal((mc.json() as { diagnosis: { verdict: string } }).diagnosis.verdict, 'never');
});

test('POST /v1/diagnose refuses bad bodies with problem+json', async () => {
  const rows: Array<[unknown, number, string]> = [
    [{}, 400, 'RSW_BAD_ARGUMENT'],
    [{ code: '51', outcome: 'no_reply' }, 400, 'RSW_BAD_ARGUMENT'],
    [{ code: '5' }, 400, 'RSW_DECLINE_BAD_CODE'],
    [{ outcome: 'lost' }, 400, 'RSW_BAD_ARGUMENT'],
    [{ code: '51', brand: 'visa', edition: '1999-01' }, 400, 'RSW_DECLINE_UNKNOWN_EDITION'],
  ];
  for (const [payload, status, code] of rows) {
    const r = await app.inject({ method: 'POST', url: '/v1/diagnose', payload: payload as Record<string, unknown> });
    assert.equal(r.statusCode, status, JSON.stringify(payload));
    assert.equal((r.json() as { code: string }).code, code, JSON.stringify(payload));
  }
});

test('a PAN sent by mistake is dropped by the schema and never echoed', async () => {
  const r = await app.inject({ method: 'POST', url: '/v1/diagnose', payload: { code: '51', pan: '6222020000000000018' } });
  assert.ok(!r.body.includes('6222020000000000018'));
});

test('every route is in the OpenAPI document with its schema', () => {
  const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  for (const path of ['/v1/decline-codes', '/v1/decline-codes/{code}', '/v1/symptoms', '/v1/symptoms/{id}', '/v1/diagnose']) assert.ok(path in doc.paths, path);
  assert.ok('requestBody' in (doc.paths['/v1/diagnose']?.post as object));
});
