// Goal: the HTTP API keeps its contract (docs/contracts/http-api.md): keys and scopes, problem+json naming the field without echoing card data, idempotent sales (replay, 409, 422), declines as 201, filtered and paged lists, management with audit, OpenAPI, health and metrics. Method: app.inject() against the real app over the real engine and a real SQLite store, with a scripted in-process channel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpFixture, bearer, merchantId, newIdempotencyKey, otherMerchantId, saleBody, terminalId, type HttpFixture } from './http-fixture.ts';
import { reply, type Script } from '../../app/payments/sale-fixture.ts';
import { hashApiKey } from '../../../src/adapters/http/auth.ts';

const pan = '6222020000000000018';

async function postSale(fixture: HttpFixture, key: string, body: Record<string, unknown>, idempotencyKey = newIdempotencyKey()) {
  return fixture.app.inject({ method: 'POST', url: '/v1/payments', headers: { ...bearer(key), 'idempotency-key': idempotencyKey }, payload: body });
}

describe('HTTP API over the real engine', () => {
  let fixture: HttpFixture;
  before(async () => {
    fixture = await createHttpFixture();
  });
  after(async () => {
    await fixture.close();
  });

  describe('authentication and scopes', () => {
    const cases: Array<{ name: string; headers: Record<string, string>; code: string }> = [
      { name: 'no Authorization header', headers: {}, code: 'RSW_AUTH_MISSING' },
      { name: 'not a Bearer token', headers: { authorization: 'Basic dXNlcjpwYXNz' }, code: 'RSW_AUTH_INVALID' },
      { name: 'malformed key', headers: { authorization: 'Bearer nonsense' }, code: 'RSW_AUTH_INVALID' },
      { name: 'well-formed but unknown key', headers: { authorization: `Bearer rsw_AAAAAAAAAAAA_${'B'.repeat(32)}` }, code: 'RSW_AUTH_INVALID' },
    ];
    for (const row of cases) {
      test(`${row.name} → 401 ${row.code}`, async () => {
        const response = await fixture.app.inject({ method: 'GET', url: '/v1/payments', headers: row.headers });
        assert.equal(response.statusCode, 401);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        assert.equal(response.json().code, row.code);
      });
    }

    test('a sale without a key is refused before anything is stored', async () => {
      const before = await fixture.engine.store.listPayments({ limit: 500 });
      const response = await fixture.app.inject({ method: 'POST', url: '/v1/payments', headers: { 'idempotency-key': newIdempotencyKey() }, payload: saleBody() });
      assert.equal(response.statusCode, 401);
      const afterPage = await fixture.engine.store.listPayments({ limit: 500 });
      assert.equal(afterPage.data.length, before.data.length);
    });

    test("another merchant's payment is 404, exactly like a missing one", async () => {
      const created = await postSale(fixture, fixture.merchantKey, saleBody());
      assert.equal(created.statusCode, 201);
      const id = created.json().id as string;
      const own = await fixture.app.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: bearer(fixture.merchantKey) });
      assert.equal(own.statusCode, 200);
      assert.equal(own.json().id, id);
      const other = await fixture.app.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: bearer(fixture.otherMerchantKey) });
      const missing = await fixture.app.inject({ method: 'GET', url: '/v1/payments/pay_doesnotexist', headers: bearer(fixture.otherMerchantKey) });
      assert.equal(other.statusCode, 404);
      assert.equal(other.json().code, 'RSW_HTTP_NOT_FOUND');
      assert.equal(missing.statusCode, 404);
      assert.equal(other.json().code, missing.json().code);
      const admin = await fixture.app.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: bearer(fixture.adminKey) });
      assert.equal(admin.statusCode, 200);
    });

    test('a merchant key cannot create a payment for another merchant (403) and its list holds only its own payments', async () => {
      const refused = await postSale(fixture, fixture.otherMerchantKey, saleBody({ merchantId }));
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().code, 'RSW_AUTH_MERCHANT_SCOPE');
      const list = await fixture.app.inject({ method: 'GET', url: '/v1/payments', headers: bearer(fixture.otherMerchantKey) });
      assert.equal(list.statusCode, 200);
      assert.ok(list.json().data.every((payment: { merchantId: string }) => payment.merchantId === otherMerchantId));
      const asking = await fixture.app.inject({ method: 'GET', url: `/v1/payments?merchantId=${merchantId}`, headers: bearer(fixture.otherMerchantKey) });
      assert.deepEqual(asking.json().data, []);
    });

    test('a merchant key without merchantId in the body sells for its own merchant', async () => {
      const body = saleBody();
      delete body.merchantId;
      const response = await postSale(fixture, fixture.merchantKey, body);
      assert.equal(response.statusCode, 201);
      assert.equal(response.json().merchantId, merchantId);
      const admin = await postSale(fixture, fixture.adminKey, body);
      assert.equal(admin.statusCode, 400);
      assert.equal(admin.json().field, 'merchantId');
    });

    test('merchant keys may not manage; admin keys may', async () => {
      const asMerchant = await fixture.app.inject({ method: 'GET', url: '/v1/merchants', headers: bearer(fixture.merchantKey) });
      assert.equal(asMerchant.statusCode, 403);
      assert.equal(asMerchant.json().code, 'RSW_AUTH_ADMIN_REQUIRED');
      const asAdmin = await fixture.app.inject({ method: 'GET', url: '/v1/merchants', headers: bearer(fixture.adminKey) });
      assert.equal(asAdmin.statusCode, 200);
      const fees = await fixture.app.inject({ method: 'GET', url: '/v1/fee-plans', headers: bearer(fixture.merchantKey) });
      assert.equal(fees.statusCode, 403);
    });

    test('a revoked key is refused from the next request on', async () => {
      const { generateApiKey } = await import('../../../src/adapters/http/auth.ts');
      const key = generateApiKey({ scope: 'admin' }, 'short-lived', Date.now());
      await fixture.engine.store.write((tx) => tx.insertApiKey(key.record));
      const ok = await fixture.app.inject({ method: 'GET', url: '/v1/merchants', headers: bearer(key.key) });
      assert.equal(ok.statusCode, 200);
      await fixture.engine.store.write((tx) => tx.revokeApiKey(key.record.id, Date.now()));
      const refused = await fixture.app.inject({ method: 'GET', url: '/v1/merchants', headers: bearer(key.key) });
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.json().code, 'RSW_AUTH_INVALID');
    });

    test('the store holds only the hash of a key', async () => {
      const keys = await fixture.engine.store.listApiKeys();
      const admin = keys.find((key) => key.secretHash === hashApiKey(fixture.adminKey));
      assert.ok(admin !== undefined);
      assert.ok(!JSON.stringify(keys).includes(fixture.adminKey.slice(-32)));
    });

    test('the decline catalogue is public', async () => {
      const response = await fixture.app.inject({ method: 'GET', url: '/v1/decline-codes/51' });
      assert.equal(response.statusCode, 200);
    });
  });

  describe('validation', () => {
    const cases: Array<{ name: string; body: Record<string, unknown>; field: string }> = [
      { name: 'bad expiry month', body: saleBody({ card: { number: pan, expiry: '3013', entryMode: 'chip' } }), field: 'card.expiry' },
      { name: 'card number with letters', body: saleBody({ card: { number: `${pan.slice(0, 10)}abcdefghi`, expiry: '3012', entryMode: 'chip' } }), field: 'card.number' },
      { name: 'missing card number', body: saleBody({ card: { expiry: '3012', entryMode: 'chip' } }), field: 'card.number' },
      { name: 'unknown entry mode', body: saleBody({ card: { number: pan, entryMode: 'telepathy' } }), field: 'card.entryMode' },
      { name: 'amount as a string', body: saleBody({ amountMinor: '100' }), field: 'amountMinor' },
      { name: 'fractional amount', body: saleBody({ amountMinor: 1.5 }), field: 'amountMinor' },
      { name: 'zero amount', body: saleBody({ amountMinor: 0 }), field: 'amountMinor' },
      { name: 'lower-case currency', body: saleBody({ currency: 'cny' }), field: 'currency' },
      { name: 'unknown top-level field', body: saleBody({ tip: 5 }), field: 'tip' },
      { name: 'unknown card field', body: saleBody({ card: { number: pan, entryMode: 'chip', pin: '1234' } }), field: 'card.pin' },
    ];
    for (const row of cases) {
      test(`${row.name} → 400 RSW_HTTP_VALIDATION naming ${row.field}, no card data in the answer`, async () => {
        const response = await postSale(fixture, fixture.merchantKey, row.body);
        assert.equal(response.statusCode, 400);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        const problem = response.json();
        assert.equal(problem.code, 'RSW_HTTP_VALIDATION');
        assert.equal(problem.field, row.field);
        assert.equal(problem.status, 400);
        assert.equal(problem.type, 'urn:reswipe:error:RSW_HTTP_VALIDATION');
        assert.ok(typeof problem.title === 'string' && typeof problem.detail === 'string');
        assert.ok(!response.body.includes(pan.slice(6, 15)), 'the card number must not be echoed');
      });
    }

    test('a missing Idempotency-Key is 400 RSW_IDEMPOTENCY_KEY_MISSING', async () => {
      const response = await fixture.app.inject({ method: 'POST', url: '/v1/payments', headers: bearer(fixture.merchantKey), payload: saleBody() });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().code, 'RSW_IDEMPOTENCY_KEY_MISSING');
      const tooLong = await postSale(fixture, fixture.merchantKey, saleBody(), 'k'.repeat(256));
      assert.equal(tooLong.statusCode, 400);
      assert.equal(tooLong.json().code, 'RSW_IDEMPOTENCY_KEY_MISSING');
    });

    test('broken JSON is refused without quoting the body (which holds the PAN)', async () => {
      const response = await fixture.app.inject({
        method: 'POST',
        url: '/v1/payments',
        headers: { ...bearer(fixture.merchantKey), 'idempotency-key': newIdempotencyKey(), 'content-type': 'application/json' },
        payload: `{"card":{"number":"${pan}",`,
      });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().field, 'body');
      assert.ok(!response.body.includes(pan.slice(6, 15)));
    });

    test('a body over the limit is 413 RSW_HTTP_BODY_TOO_LARGE', async () => {
      const response = await postSale(fixture, fixture.merchantKey, saleBody({ reference: 'x'.repeat(20_000) }));
      assert.equal(response.statusCode, 413);
      assert.equal(response.json().code, 'RSW_HTTP_BODY_TOO_LARGE');
    });

    test('an unknown route is a problem+json 404', async () => {
      const response = await fixture.app.inject({ method: 'GET', url: '/v1/nothing-here' });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'RSW_HTTP_NOT_FOUND');
    });

    test('query strings are validated and name the parameter', async () => {
      for (const [query, field] of [['limit=501', 'limit'], ['limit=0', 'limit'], ['status=lost', 'status'], ['last4=12a4', 'last4'], ['from=yesterday', 'from']] as const) {
        const response = await fixture.app.inject({ method: 'GET', url: `/v1/payments?${query}`, headers: bearer(fixture.adminKey) });
        assert.equal(response.statusCode, 400, query);
        assert.equal(response.json().field, field, query);
      }
    });
  });

  describe('sales', () => {
    test('an approved sale is 201 with the payment view and no decline', async () => {
      const response = await postSale(fixture, fixture.merchantKey, saleBody());
      assert.equal(response.statusCode, 201);
      const payment = response.json();
      assert.equal(payment.status, 'approved');
      assert.equal(payment.responseCode, '00');
      assert.equal(payment.decline, null);
      assert.equal(payment.card.masked, '622202*********0018');
      assert.equal(payment.attempts.length, 1);
      assert.equal(payment.attempts[0].outcome, 'approved');
      assert.equal(payment.terminalId, terminalId);
      assert.equal(payment.reference, 'order-778');
      assert.ok(!response.body.includes(pan));
    });

    test('a declined sale is a normal 201 with status declined and the diagnosis', async () => {
      const response = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 5100 }));
      assert.equal(response.statusCode, 201);
      const payment = response.json();
      assert.equal(payment.status, 'declined');
      assert.equal(payment.responseCode, '51');
      assert.equal(payment.decline.code, '51');
      assert.equal(payment.decline.category, 'insufficient_funds');
      assert.equal(payment.decline.verdict, 'fix');
      assert.ok(payment.decline.advice.cashier.en.length > 0 && payment.decline.advice.customer.zh.length > 0);
    });

    test('a local decline (expired card) is 201 declined without an attempt upstream', async () => {
      const response = await postSale(fixture, fixture.merchantKey, saleBody({ card: { number: pan, expiry: '2001', entryMode: 'chip' } }));
      assert.equal(response.statusCode, 201);
      assert.equal(response.json().status, 'declined');
      assert.equal(response.json().decline.category, 'card_status');
      assert.equal(response.json().attempts.length, 0);
    });

    test('capture false is a pre-authorization (0100 upstream)', async () => {
      const sent = fixture.engine.channels[0]!.sent.length;
      const response = await postSale(fixture, fixture.merchantKey, saleBody({ capture: false, amountMinor: 777 }));
      assert.equal(response.statusCode, 201);
      assert.equal(response.json().status, 'approved');
      const upstream = fixture.engine.channels[0]!.sent.slice(sent);
      assert.equal(upstream[0]?.mti, '0100');
    });

    test('the same key and body replays the first answer, status included, without a second upstream attempt', async () => {
      const key = newIdempotencyKey();
      const first = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 4321 }), key);
      const sent = fixture.engine.channels[0]!.sales().length;
      // Same body with keys in another order: the canonical hash does not care.
      const reordered = Object.fromEntries(Object.entries(saleBody({ amountMinor: 4321 })).reverse());
      const second = await postSale(fixture, fixture.merchantKey, reordered, key);
      assert.equal(first.statusCode, 201);
      assert.equal(second.statusCode, first.statusCode);
      assert.equal(second.body, first.body);
      assert.equal(fixture.engine.channels[0]!.sales().length, sent);
    });

    test('an answer stored before views carried kind and originalPaymentId still replays, with both filled in', async () => {
      const key = newIdempotencyKey();
      const first = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 4322 }), key);
      assert.equal(first.statusCode, 201);
      const scope = `http:${first.json().merchantId as string}`;
      const record = await fixture.engine.store.getIdempotency(scope, key);
      assert.ok(record !== null && record.responseBody !== null);
      const { kind: _kind, originalPaymentId: _original, ...older } = JSON.parse(record.responseBody) as Record<string, unknown>;
      await fixture.engine.store.write((tx) => tx.updateIdempotency(scope, key, { ...record, responseBody: JSON.stringify(older) }));
      const replay = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 4322 }), key);
      assert.equal(replay.statusCode, 201, replay.body);
      assert.deepEqual(replay.json(), first.json(), 'the same answer, kind sale and originalPaymentId null included');
    });

    test('a declined answer replays as the same 201 declined', async () => {
      const key = newIdempotencyKey();
      const first = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 500 }), key);
      const second = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 500 }), key);
      assert.equal(first.json().status, 'declined');
      assert.equal(second.statusCode, 201);
      assert.equal(second.body, first.body);
    });

    test('the same key with another body is 422 RSW_IDEMPOTENCY_MISMATCH', async () => {
      const key = newIdempotencyKey();
      await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 100 }), key);
      for (const changed of [saleBody({ amountMinor: 101 }), saleBody({ card: { number: '6222020000000000026', expiry: '3012', cvv: '123', entryMode: 'chip' } })]) {
        const response = await postSale(fixture, fixture.merchantKey, changed, key);
        assert.equal(response.statusCode, 422);
        assert.equal(response.json().code, 'RSW_IDEMPOTENCY_MISMATCH');
      }
    });

    test('the same key under another merchant is a separate sale (keys are scoped per merchant)', async () => {
      const key = newIdempotencyKey();
      const mine = await postSale(fixture, fixture.merchantKey, saleBody({ terminalId: undefined }), key);
      const theirs = await postSale(fixture, fixture.otherMerchantKey, saleBody({ merchantId: otherMerchantId, terminalId: undefined }), key);
      assert.equal(mine.statusCode, 201);
      assert.equal(theirs.statusCode, 201);
      assert.notEqual(mine.json().id, theirs.json().id);
    });
  });

  describe('lists', () => {
    test('newest first, filtered, paged with a cursor without gaps or repeats', async () => {
      const terminal = 'T0000001';
      const made: string[] = [];
      for (let index = 0; index < 5; index++) {
        const response = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 2000 + index, terminalId: terminal, card: { number: '6225880000000019', expiry: '3012', entryMode: 'swipe' } }));
        assert.equal(response.statusCode, 201);
        made.push(response.json().id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const url: string = `/v1/payments?limit=2&last4=0019${cursor === null ? '' : `&cursor=${cursor}`}`;
        const response = await fixture.app.inject({ method: 'GET', url, headers: bearer(fixture.merchantKey) });
        assert.equal(response.statusCode, 200);
        const body = response.json() as { data: Array<{ id: string; card: { masked: string } }>; nextCursor: string | null };
        assert.ok(body.data.length <= 2);
        for (const payment of body.data) assert.ok(payment.card.masked.endsWith('0019'));
        seen.push(...body.data.map((payment) => payment.id));
        cursor = body.nextCursor;
        if (cursor === null) break;
      }
      assert.deepEqual(seen, [...made].reverse());
    });

    test('status, responseCode and category filters', async () => {
      await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 5100 }));
      const declined = await fixture.app.inject({ method: 'GET', url: '/v1/payments?status=declined&responseCode=51&category=insufficient_funds', headers: bearer(fixture.merchantKey) });
      assert.equal(declined.statusCode, 200);
      const data = declined.json().data as Array<{ status: string; responseCode: string }>;
      assert.ok(data.length >= 1);
      assert.ok(data.every((payment) => payment.status === 'declined' && payment.responseCode === '51'));
      const approved = await fixture.app.inject({ method: 'GET', url: '/v1/payments?status=approved&limit=500', headers: bearer(fixture.merchantKey) });
      assert.ok((approved.json().data as Array<{ status: string }>).every((payment) => payment.status === 'approved'));
    });

    test('from/to bound the creation time; a bad cursor is a 400', async () => {
      const future = await fixture.app.inject({ method: 'GET', url: '/v1/payments?from=2099-01-01T00:00:00Z', headers: bearer(fixture.adminKey) });
      assert.deepEqual(future.json().data, []);
      const past = await fixture.app.inject({ method: 'GET', url: '/v1/payments?to=2000-01-01T00:00:00Z', headers: bearer(fixture.adminKey) });
      assert.deepEqual(past.json().data, []);
      const bad = await fixture.app.inject({ method: 'GET', url: '/v1/payments?cursor=garbage', headers: bearer(fixture.adminKey) });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().field, 'cursor');
    });
  });

  describe('management', () => {
    const newMerchant = { id: 'M00000000000077', name: 'Noodle bar', mcc: '5812', terminals: ['T0000077'] };

    test('create, read, disable a merchant; a disabled merchant gets local declines; every change is audited', async () => {
      const created = await fixture.app.inject({ method: 'POST', url: '/v1/merchants', headers: bearer(fixture.adminKey), payload: newMerchant });
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json().accepts, ['debit', 'credit', 'quasi-credit', 'prepaid']);
      assert.deepEqual(created.json().terminals, ['T0000077']);
      const again = await fixture.app.inject({ method: 'POST', url: '/v1/merchants', headers: bearer(fixture.adminKey), payload: newMerchant });
      assert.equal(again.statusCode, 409);
      const read = await fixture.app.inject({ method: 'GET', url: `/v1/merchants/${newMerchant.id}`, headers: bearer(fixture.adminKey) });
      assert.equal(read.json().name, 'Noodle bar');

      const sale = await postSale(fixture, fixture.adminKey, saleBody({ merchantId: newMerchant.id, terminalId: 'T0000077' }));
      assert.equal(sale.json().status, 'approved');
      const disabled = await fixture.app.inject({ method: 'PATCH', url: `/v1/merchants/${newMerchant.id}`, headers: bearer(fixture.adminKey), payload: { disabled: true } });
      assert.equal(disabled.statusCode, 200);
      assert.equal(disabled.json().disabled, true);
      assert.equal(disabled.json().name, 'Noodle bar', 'a PATCH changes only what it names');
      assert.deepEqual(disabled.json().accepts, ['debit', 'credit', 'quasi-credit', 'prepaid']);
      const refused = await postSale(fixture, fixture.adminKey, saleBody({ merchantId: newMerchant.id, terminalId: 'T0000077' }));
      assert.equal(refused.statusCode, 201);
      assert.equal(refused.json().status, 'declined');

      const audit = await fixture.engine.store.listAudit({ limit: 100 });
      const actions = audit.filter((record) => record.subjectId === newMerchant.id).map((record) => record.action);
      assert.ok(actions.includes('merchant.create') && actions.includes('merchant.update'));
      assert.ok(audit.every((record) => !JSON.stringify(record).includes(fixture.adminKey)));
    });

    test('config rules apply: DE 42 length, mcc digits, known fee plan, limit relations', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...newMerchant, id: 'SHORT' }, 'id'],
        [{ ...newMerchant, id: 'M00000000000078', mcc: '58a2' }, 'mcc'],
        [{ ...newMerchant, id: 'M00000000000078', feePlan: 'no-such-plan', terminals: [] }, 'feePlan'],
        [{ ...newMerchant, id: 'M00000000000078', accepts: ['gold'], terminals: [] }, 'accepts.0'],
        [{ ...newMerchant, id: 'M00000000000078', limits: { perSaleMinor: 500, perDayMinor: 100 }, terminals: [] }, 'limits.perSaleMinor'],
      ];
      for (const [payload, field] of cases) {
        const response = await fixture.app.inject({ method: 'POST', url: '/v1/merchants', headers: bearer(fixture.adminKey), payload });
        assert.equal(response.statusCode, 400, `${field}: ${response.body}`);
        assert.equal(response.json().field, field);
      }
    });

    test('terminals: create for a merchant, disable, unknown merchant refused', async () => {
      const created = await fixture.app.inject({ method: 'POST', url: '/v1/terminals', headers: bearer(fixture.adminKey), payload: { id: 'T0000099', merchantId } });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.json().state, 'active');
      const patched = await fixture.app.inject({ method: 'PATCH', url: '/v1/terminals/T0000099', headers: bearer(fixture.adminKey), payload: { disabled: true } });
      assert.equal(patched.json().state, 'disabled');
      const sale = await postSale(fixture, fixture.merchantKey, saleBody({ terminalId: 'T0000099' }));
      assert.equal(sale.json().status, 'declined');
      const orphan = await fixture.app.inject({ method: 'POST', url: '/v1/terminals', headers: bearer(fixture.adminKey), payload: { id: 'T0000098', merchantId: 'M00000000000099' } });
      assert.equal(orphan.statusCode, 400);
      assert.equal(orphan.json().field, 'merchantId');
      const listed = await fixture.app.inject({ method: 'GET', url: `/v1/terminals?merchantId=${merchantId}`, headers: bearer(fixture.adminKey) });
      assert.ok((listed.json().data as Array<{ id: string }>).some((terminal) => terminal.id === 'T0000099'));
    });

    test('channels: create, patch, timeout must leave the terminal margin', async () => {
      const created = await fixture.app.inject({ method: 'POST', url: '/v1/channels', headers: bearer(fixture.adminKey), payload: { name: 'bank-z', host: '127.0.0.1', port: 9001, timeoutMs: 1500 } });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.json().dialect, 'iso87-ascii');
      const patched = await fixture.app.inject({ method: 'PATCH', url: '/v1/channels/bank-z', headers: bearer(fixture.adminKey), payload: { disabled: true, priority: 5 } });
      assert.equal(patched.json().disabled, true);
      assert.equal(patched.json().priority, 5);
      assert.equal(patched.json().port, 9001);
      const tooSlow = await fixture.app.inject({ method: 'PATCH', url: '/v1/channels/bank-z', headers: bearer(fixture.adminKey), payload: { timeoutMs: 2500 } });
      assert.equal(tooSlow.statusCode, 400);
      assert.equal(tooSlow.json().field, 'timeoutMs');
      const missing = await fixture.app.inject({ method: 'PATCH', url: '/v1/channels/bank-nope', headers: bearer(fixture.adminKey), payload: { disabled: true } });
      assert.equal(missing.statusCode, 404);
    });
  });

  describe('OpenAPI, health and metrics', () => {
    test('/openapi.json is an OpenAPI 3 document listing every route with its methods', async () => {
      const refused = await fixture.app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(fixture.merchantKey) });
      assert.equal(refused.statusCode, 403, 'on the API port the operations routes need an admin key');
      const response = await fixture.app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(fixture.adminKey) });
      assert.equal(response.statusCode, 200, response.body);
      const document = response.json() as { openapi: string; info: { title: string }; paths: Record<string, Record<string, { responses?: object; security?: unknown }>>; components: { securitySchemes: object } };
      assert.match(document.openapi, /^3\.\d+\.\d+$/);
      assert.ok(document.info.title.length > 0);
      const expected: Array<[string, string]> = [
        ['/v1/payments', 'post'],
        ['/v1/payments', 'get'],
        ['/v1/payments/{id}', 'get'],
        ['/v1/merchants', 'get'],
        ['/v1/merchants', 'post'],
        ['/v1/merchants/{id}', 'get'],
        ['/v1/merchants/{id}', 'patch'],
        ['/v1/terminals', 'get'],
        ['/v1/terminals', 'post'],
        ['/v1/terminals/{id}', 'get'],
        ['/v1/terminals/{id}', 'patch'],
        ['/v1/channels', 'get'],
        ['/v1/channels', 'post'],
        ['/v1/channels/{name}', 'patch'],
        ['/v1/decline-codes', 'get'],
        ['/v1/fees/quote', 'post'],
        ['/healthz', 'get'],
        ['/readyz', 'get'],
        ['/metrics', 'get'],
      ];
      for (const [path, method] of expected) {
        const operation = document.paths[path]?.[method];
        assert.ok(operation !== undefined, `${method.toUpperCase()} ${path} missing from OpenAPI`);
        assert.ok(operation.responses !== undefined && Object.keys(operation.responses).length > 0, `${method} ${path} has no responses`);
      }
      const post = document.paths['/v1/payments']?.post as unknown as { parameters: Array<{ in: string; name: string; required: boolean }>; requestBody: object; security: unknown };
      assert.ok(post.parameters.some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key' && parameter.required));
      assert.ok(post.requestBody !== undefined);
      assert.deepEqual(post.security, [{ bearerAuth: [] }]);
      assert.ok('bearerAuth' in document.components.securitySchemes);
      assert.ok(!response.body.includes('"expected"'), 'config annotations are not OpenAPI keywords');
      assert.equal((await fixture.app.inject({ method: 'GET', url: '/docs/' })).statusCode, 401);
      const ui = await fixture.app.inject({ method: 'GET', url: '/docs/', headers: bearer(fixture.adminKey) });
      assert.equal(ui.statusCode, 200);
      assert.match(String(ui.headers['content-type']), /text\/html/);
      assert.match(String(ui.headers['content-security-policy']), /script-src/, 'the UI pages carry the CSP computed for their own scripts');
    });

    test('/healthz and /readyz answer without a key', async () => {
      const health = await fixture.app.inject({ method: 'GET', url: '/healthz' });
      assert.deepEqual(health.json(), { status: 'ok' });
      const ready = await fixture.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().store, 'sqlite');
    });

    test('/metrics has the attempt, latency, payment and reversal-queue series after a sale', async () => {
      await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 5100 }));
      await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 1234 }));
      assert.equal((await fixture.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      const response = await fixture.app.inject({ method: 'GET', url: '/metrics', headers: bearer(fixture.adminKey) });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      const text = response.body;
      assert.match(text, /reswipe_attempts_total\{outcome="approved",code="00",channel="bank-a"\} [1-9]/);
      assert.match(text, /reswipe_attempts_total\{outcome="declined",code="51",channel="bank-a"\} [1-9]/);
      assert.match(text, /reswipe_attempt_latency_seconds_count\{channel="bank-a"\} [1-9]/);
      assert.match(text, /reswipe_payments_total\{status="approved"\} [1-9]/);
      assert.match(text, /reswipe_payments_total\{status="declined"\} [1-9]/);
      assert.match(text, /reswipe_reversal_queue_depth \d+/);
      assert.match(text, /reswipe_reversal_queue_oldest_age_seconds \d/);
      assert.match(text, /reswipe_terminal_connections \d+/);
      assert.ok(!text.includes(pan));
    });
  });
});

describe('in-progress sales', () => {
  test('the same key while the first request is still upstream is 409, and the original answer replays afterwards', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived: () => void = () => undefined;
    const upstreamReached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // The upstream holds the sale until the test has seen the 409 (bounded by the engine's own timeouts).
    const slow: Script = async (request) => {
      if (request.mti.startsWith('04')) return reply(request, '00');
      arrived();
      await gate;
      return reply(request, '00');
    };
    const fixture = await createHttpFixture({ script: slow });
    try {
      const key = newIdempotencyKey();
      const first = postSale(fixture, fixture.merchantKey, saleBody(), key);
      await upstreamReached;
      const duplicate = await postSale(fixture, fixture.merchantKey, saleBody(), key);
      assert.equal(duplicate.statusCode, 409);
      assert.equal(duplicate.json().code, 'RSW_IDEMPOTENCY_IN_PROGRESS');
      const mismatch = await postSale(fixture, fixture.merchantKey, saleBody({ amountMinor: 1 }), key);
      assert.equal(mismatch.statusCode, 422);
      release();
      const original = await first;
      assert.equal(original.statusCode, 201);
      const replay = await postSale(fixture, fixture.merchantKey, saleBody(), key);
      assert.equal(replay.statusCode, 201);
      assert.equal(replay.body, original.body);
    } finally {
      release();
      await fixture.close();
    }
  });
});
