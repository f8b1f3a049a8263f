// Goal: the transaction set over HTTP answers like the spec: void, refunds, capture and cancel with
// Idempotency-Key (replay and 422), refusals as problem objects naming why with a stable code, another
// merchant's payment as 404, and GET /v1/payments.csv streaming the filtered payments with masked
// cards only. Method: Fastify inject over the real engine, FollowUps and SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHttpApp } from '../../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../../src/app/http-use-cases.ts';
import { generateApiKey } from '../../../../src/adapters/http/auth.ts';
import { validateConfig } from '../../../../src/core/config/config-schema.ts';
import { createFixture, merchantId, okPan, silentLogger, terminalId } from '../../../app/payments/sale-fixture.ts';

const panKey = 'test-pan-key-0123456789';

async function setUp() {
  const fixture = await createFixture({ settings: { panKey } });
  const nowMs = Date.now();
  const merchantKey = generateApiKey({ scope: 'merchant', merchantId }, 'till', nowMs);
  const otherKey = generateApiKey({ scope: 'merchant', merchantId: 'M00000000000002' }, 'other', nowMs);
  await fixture.store.write(async (tx) => {
    await tx.upsertMerchant({ id: 'M00000000000002', name: 'Other', mcc: '5812', accepts: ['debit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
    await tx.insertApiKey(merchantKey.record);
    await tx.insertApiKey(otherKey.record);
  });
  const transactions = fixture.gateway.transactions;
  const config = validateConfig({ security: { panKey, developmentMode: true }, engine: { terminalTimeoutMs: 3_000 }, log: { level: 'silent' } });
  const clock = { nowMs: () => Date.now() };
  const app = await buildHttpApp({ engine: fixture.engine, transactions, store: fixture.store, clock, logger: silentLogger, config, ...createHttpUseCases({ store: fixture.store, clock, logger: silentLogger, config }) });
  let counter = 0;
  const post = (url: string, body: Record<string, unknown>, key = merchantKey.key, idempotencyKey?: string) => {
    counter += 1;
    return app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'idempotency-key': idempotencyKey ?? `k-${process.pid}-${counter}` }, payload: body });
  };
  const sale = async (capture = true, amountMinor = 10_000) => {
    const response = await post('/v1/payments', { terminalId, amountMinor, currency: 'CNY', card: { number: okPan, expiry: '3012', entryMode: 'chip' }, capture });
    assert.equal(response.statusCode, 201);
    return response.json().id as string;
  };
  return {
    app,
    post,
    sale,
    merchantKey: merchantKey.key,
    otherKey: otherKey.key,
    async close() {
      await app.close();
      await fixture.close();
    },
  };
}

test('void, refunds, capture and cancel over HTTP, with refusals as problem objects', async () => {
  const t = await setUp();
  try {
    const saleId = await t.sale();
    const refund = await t.post(`/v1/payments/${saleId}/refunds`, { amountMinor: 4_000 });
    assert.equal(refund.statusCode, 201);
    assert.equal(refund.json().kind, 'refund');
    assert.equal(refund.json().originalPaymentId, saleId);
    const read = async (url: string) => (await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.merchantKey}` } })).json();
    const refundRead = await read(`/v1/payments/${refund.json().id}`);
    assert.deepEqual([refundRead.kind, refundRead.originalPaymentId], ['refund', saleId], 'GET by id names the kind and the original');
    const saleRead = await read(`/v1/payments/${saleId}`);
    assert.deepEqual([saleRead.kind, saleRead.originalPaymentId], ['sale', null]);
    const listed = (await read('/v1/payments?limit=10')).data as Array<{ id: string; kind: string; originalPaymentId: string | null }>;
    const listedById = new Map(listed.map((p) => [p.id, [p.kind, p.originalPaymentId]]));
    assert.deepEqual([listedById.get(refund.json().id), listedById.get(saleId)], [['refund', saleId], ['sale', null]], 'the list carries them too');
    const tooMuch = await t.post(`/v1/payments/${saleId}/refunds`, { amountMinor: 6_001 });
    assert.equal(tooMuch.statusCode, 409);
    assert.match(String(tooMuch.headers['content-type']), /problem\+json/);
    assert.equal(tooMuch.json().code, 'RSW_TXN_REFUND_EXCEEDS');
    assert.equal(tooMuch.json().detail, 'refunds would exceed the original: 6000 of 10000 is left to refund');
    const voidRefused = await t.post(`/v1/payments/${saleId}/void`, {});
    assert.equal(voidRefused.json().code, 'RSW_TXN_HAS_REFUNDS');

    const secondSale = await t.sale();
    const voided = await t.post(`/v1/payments/${secondSale}/void`, {}, t.merchantKey, 'void-key');
    assert.equal(voided.statusCode, 201);
    assert.equal(voided.json().status, 'approved');
    const replay = await t.post(`/v1/payments/${secondSale}/void`, {}, t.merchantKey, 'void-key');
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.json().id, voided.json().id);
    const mismatch = await t.post(`/v1/payments/${secondSale}/void`, { reference: 'other' }, t.merchantKey, 'void-key');
    assert.equal(mismatch.statusCode, 422);
    const original = await t.app.inject({ method: 'GET', url: `/v1/payments/${secondSale}`, headers: { authorization: `Bearer ${t.merchantKey}` } });
    assert.equal(original.json().status, 'voided');

    const hold = await t.sale(false, 10_000);
    const over = await t.post(`/v1/payments/${hold}/capture`, { amountMinor: 11_501 });
    assert.equal(over.json().code, 'RSW_TXN_COMPLETION_EXCEEDS');
    const captured = await t.post(`/v1/payments/${hold}/capture`, { amountMinor: 10_500 });
    assert.equal(captured.statusCode, 201);
    assert.equal(captured.json().kind, 'completion');
    const cancelAfter = await t.post(`/v1/payments/${hold}/cancel`, {});
    assert.equal(cancelAfter.json().code, 'RSW_TXN_HOLD_CLOSED');
    const completionVoid = await t.post(`/v1/payments/${captured.json().id}/void`, {});
    assert.equal(completionVoid.json().kind, 'completion_void');

    const otherHold = await t.sale(false, 3_000);
    const cancelled = await t.post(`/v1/payments/${otherHold}/cancel`, {});
    assert.equal(cancelled.json().kind, 'preauth_cancel');
    assert.equal(cancelled.json().status, 'approved');

    const hidden = await t.post(`/v1/payments/${saleId}/refunds`, { amountMinor: 1 }, t.otherKey);
    assert.equal(hidden.statusCode, 404);
    assert.equal(hidden.json().code, 'RSW_TXN_ORIGINAL_NOT_FOUND');
    const noKey = await t.app.inject({ method: 'POST', url: `/v1/payments/${saleId}/refunds`, headers: { authorization: `Bearer ${t.merchantKey}` }, payload: { amountMinor: 1 } });
    assert.equal(noKey.statusCode, 400);
  } finally {
    await t.close();
  }
});

test('GET /v1/payments.csv streams the filtered payments with fixed columns and masked cards', async () => {
  const t = await setUp();
  try {
    const saleId = await t.sale();
    await t.post(`/v1/payments/${saleId}/refunds`, { amountMinor: 100, reference: '=cmd|evil' });
    const csv = await t.app.inject({ method: 'GET', url: '/v1/payments.csv', headers: { authorization: `Bearer ${t.merchantKey}` } });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const lines = csv.body.trim().split('\n');
    assert.equal(lines[0]?.split(',')[0], 'id');
    assert.equal(lines.length, 3);
    assert.ok(!csv.body.includes(okPan), 'no full PAN in the export');
    assert.ok(csv.body.includes("'=cmd|evil"), 'a formula-looking cell is defused');
    const refundsOnly = await t.app.inject({ method: 'GET', url: '/v1/payments.csv?status=approved&terminalId=T0000001', headers: { authorization: `Bearer ${t.merchantKey}` } });
    assert.equal(refundsOnly.body.trim().split('\n').length, 3);
    const other = await t.app.inject({ method: 'GET', url: '/v1/payments.csv', headers: { authorization: `Bearer ${t.otherKey}` } });
    assert.equal(other.body.trim().split('\n').length, 1, 'another merchant sees only the header');
  } finally {
    await t.close();
  }
});
