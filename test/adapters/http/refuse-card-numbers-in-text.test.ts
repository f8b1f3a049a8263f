// Goal: no text field of the API can smuggle a card number into the store: a PAN-like run in a
// reference, an Idempotency-Key, a merchant name or a path parameter is refused with 422
// RSW_CARD_NUMBER_IN_TEXT naming the field, the answer never repeats it, and nothing is stored.
// Method: app.inject() against the real app over the real engine and SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createHttpFixture, merchantId, newIdempotencyKey, saleBody } from './http-fixture.ts';
import { findCardNumberField } from '../../../src/adapters/http/refuse-card-numbers-in-text.ts';

const pan = '6225880000000019';

test('findCardNumberField names the first text holding a PAN and skips card.number and identifiers', () => {
  assert.equal(findCardNumberField({ card: { number: pan }, merchantId: '898310048160008', reference: 'ok' }), null);
  assert.equal(findCardNumberField({ card: { number: pan }, reference: `order ${pan}` }), 'reference');
  assert.equal(findCardNumberField({ fees: [{ label: 'x' }, { label: '4111 1111 1111 1111' }] }), 'fees[1].label');
});

test('a PAN in any stored text field of the API is refused with 422 and nothing is stored', async (t) => {
  const fixture = await createHttpFixture();
  t.after(() => fixture.close());
  const admin = bearer(fixture.adminKey);
  const attempts = [
    { name: 'reference', field: 'reference', request: { method: 'POST' as const, url: '/v1/payments', headers: { ...admin, 'idempotency-key': newIdempotencyKey() }, payload: saleBody({ reference: `order ${pan} x` }) } },
    { name: 'grouped reference', field: 'reference', request: { method: 'POST' as const, url: '/v1/payments', headers: { ...admin, 'idempotency-key': newIdempotencyKey() }, payload: saleBody({ reference: '4111-1111-1111-1111' }) } },
    { name: 'Idempotency-Key', field: 'idempotency-key', request: { method: 'POST' as const, url: '/v1/payments', headers: { ...admin, 'idempotency-key': `idem-${pan}` }, payload: saleBody() } },
    { name: 'merchant name', field: 'name', request: { method: 'POST' as const, url: '/v1/merchants', headers: admin, payload: { id: 'M00000000000009', name: `shop ${pan}`, mcc: '5812' } } },
    { name: 'merchant patch', field: 'name', request: { method: 'PATCH' as const, url: `/v1/merchants/${merchantId}`, headers: admin, payload: { name: pan } } },
  ];
  for (const attempt of attempts) {
    const response = await fixture.app.inject(attempt.request);
    assert.equal(response.statusCode, 422, attempt.name);
    const body = response.json() as { code: string; field: string };
    assert.equal(body.code, 'RSW_CARD_NUMBER_IN_TEXT', attempt.name);
    assert.equal(body.field, attempt.field, attempt.name);
    assert.ok(!response.body.includes(pan) && !response.body.includes('4111-1111'), `${attempt.name}: the answer repeats the card number`);
  }
  const list = await fixture.app.inject({ method: 'GET', url: '/v1/payments', headers: admin });
  assert.deepEqual((list.json() as { data: unknown[] }).data, [], 'no payment was stored');
  assert.equal(await fixture.engine.store.getMerchant('M00000000000009'), null, 'no merchant was stored');
  // The same sale without the card number in its text goes through.
  const ok = await fixture.app.inject({ method: 'POST', url: '/v1/payments', headers: { ...admin, 'idempotency-key': newIdempotencyKey() }, payload: saleBody({ reference: 'order 2026-12-05 #1234' }) });
  assert.equal(ok.statusCode, 201);
});
