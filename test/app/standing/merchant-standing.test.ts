// Goal: GET /v1/merchants/{id}/standing answers the month's measures to an admin and to the merchant's own
// key, refuses another merchant's key (403) and an unknown merchant (404), never shows a PAN or a whole
// fingerprint; the standing check raises merchant.standing_near once per merchant, measure and month (also
// after a restart) and merchant.standing_over once when a measure goes over. Method: the real app over a
// real SQLite store (http-fixture), June 2026 sales and declines written through the store, app.inject,
// and a StandingMonitor on a manual clock run check() several times.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { StandingMonitor, standingSubjectOf } from '../../../src/app/standing/standing-monitor.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { defaultStandingSettings } from '../../../src/core/standing/merchant-standing.ts';
import { attempt, payment } from '../../adapters/store/store-fixtures.ts';
import { silentLogger } from '../payments/sale-fixture.ts';
import { bearer, createHttpFixture, merchantId, otherMerchantId, type HttpFixture } from '../../adapters/http/http-fixture.ts';

const visaPan = '4111111111111111';
const juneStartMs = Date.parse('2026-06-01T00:00:00+08:00');
let fixture: HttpFixture;
let stanCounter = 0;
let ownKey = '';
let otherKey = '';

/** `count` June sales of the merchant; the first `declined` of them declined (51) on one Visa card, the rest approved. */
async function addSales(count: number, declined: number, atMs: number, prefix: string): Promise<void> {
  await fixture.engine.store.write(async (tx) => {
    for (let index = 0; index < count; index++) {
      const isDeclined = index < declined;
      const id = `${prefix}${index}`;
      const createdAtMs = atMs + index * 60_000;
      await tx.insertPayment(payment(id, merchantId, { status: isDeclined ? 'declined' : 'approved', cardBrand: isDeclined ? 'visa' : 'unionpay', createdAtMs, updatedAtMs: createdAtMs, ...(isDeclined ? { pan: visaPan } : {}) }));
      stanCounter += 1;
      await tx.insertAttempt(attempt(`${id}a`, id, { stan: String(stanCounter).padStart(6, '0'), outcome: isDeclined ? 'declined' : 'approved', responseCode: isDeclined ? '51' : '00', createdAtMs: createdAtMs + 1 }));
    }
  });
}

before(async () => {
  fixture = await createHttpFixture();
  // The merchant self-service read scope, bound to one merchant each.
  const own = generateApiKey({ scopes: ['settlements:read'], merchantId }, 'standing', Date.now());
  const other = generateApiKey({ scopes: ['settlements:read'], merchantId: otherMerchantId }, 'standing other', Date.now());
  await fixture.engine.store.write(async (tx) => {
    await tx.insertApiKey(own.record);
    await tx.insertApiKey(other.record);
  });
  ownKey = own.key;
  otherKey = other.key;
  // 120 sales in June, 18 declined on one Visa card: a decline ratio of 15 % (at the threshold: near) and 17
  // reattempts of the card against the 20 of the 2026-04 edition (85 %: near).
  await addSales(120, 18, juneStartMs + 2 * 86_400_000, 'j');
});

after(async () => {
  await fixture.close();
});

async function get(url: string, key: string) {
  return fixture.app.inject({ method: 'GET', url, headers: bearer(key) });
}

test('an admin and the merchant itself read the standing; another merchant key is refused, an unknown merchant is 404', async () => {
  const admin = await get(`/v1/merchants/${merchantId}/standing?month=2026-06`, fixture.adminKey);
  assert.equal(admin.statusCode, 200, admin.body);
  const body = admin.json();
  assert.equal(body.merchantId, merchantId);
  assert.equal(body.month, '2026-06');
  assert.equal(body.state, 'near');
  const byName = Object.fromEntries(body.measures.map((measure: { measure: string }) => [measure.measure, measure]));
  assert.deepEqual(
    { value: byName.decline_ratio.value, threshold: byName.decline_ratio.threshold, state: byName.decline_ratio.state },
    { value: 1500, threshold: defaultStandingSettings.declineRatioMaxBps, state: 'near' },
  );
  assert.deepEqual({ value: byName.visa_reattempts.value, threshold: byName.visa_reattempts.threshold, edition: byName.visa_reattempts.edition, state: byName.visa_reattempts.state }, { value: 17, threshold: 20, edition: '2026-04', state: 'near' });
  const fingerprint = (await fixture.engine.store.getPayment('j0'))?.panFingerprint ?? '';
  assert.equal(byName.visa_reattempts.worstCards[0].fingerprintPrefix, fingerprint.slice(0, 12));
  assert.ok(!admin.body.includes(visaPan) && !admin.body.includes(fingerprint), 'no PAN, no whole fingerprint');

  const own = await get(`/v1/merchants/${merchantId}/standing?month=2026-06`, ownKey);
  assert.equal(own.statusCode, 200, own.body);
  const other = await get(`/v1/merchants/${merchantId}/standing?month=2026-06`, otherKey);
  assert.equal(other.statusCode, 403);
  assert.equal(other.json().code, 'RSW_AUTH_MERCHANT_SCOPE');
  assert.equal((await get(`/v1/merchants/${otherMerchantId}/standing?month=2026-06`, otherKey)).json().state, 'ok', 'the other merchant reads its own');
  const unknown = await get('/v1/merchants/M99999999999999/standing?month=2026-06', fixture.adminKey);
  assert.equal(unknown.statusCode, 404);
  assert.equal((await get(`/v1/merchants/${merchantId}/standing?month=2026-13`, fixture.adminKey)).statusCode, 400);
  assert.equal((await fixture.app.inject({ method: 'GET', url: `/v1/merchants/${merchantId}/standing` })).statusCode, 401);
  assert.equal((await get(`/v1/merchants/${merchantId}/standing?month=2026-06`, fixture.merchantKey)).json().code, 'RSW_AUTH_SCOPE', 'a till key (payments) does not read it');
});

test('the route is in the OpenAPI document with its answer schema', async () => {
  const document = (await get('/openapi.json', fixture.adminKey)).json() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }> }>> };
  const operation = document.paths['/v1/merchants/{id}/standing']?.get;
  assert.ok(operation !== undefined, 'GET /v1/merchants/{id}/standing is documented');
  const properties = operation.responses['200']?.content?.['application/json']?.schema.properties ?? {};
  assert.deepEqual(Object.keys(properties).sort(), ['asOf', 'measures', 'merchantId', 'month', 'state', 'truncated']);
});

test('the standing check raises near once per measure and month, also after a restart, then over once', async () => {
  const store = fixture.engine.store;
  const clock = new ManualClock(Date.parse('2026-06-20T12:00:00+08:00'));
  const calendar = { timeZone: 'Asia/Shanghai' };
  const monitor = new StandingMonitor({ store, clock, logger: silentLogger, settings: defaultStandingSettings, calendar });
  const eventsOf = async (type: string) => (await store.listEvents(0, 1000, type)).filter((event) => event.payload.merchantId === merchantId);

  const first = await monitor.check();
  assert.equal(first.events, 2);
  const near = await eventsOf('merchant.standing_near');
  assert.deepEqual(near.map((event) => event.payload.measure).sort(), ['decline_ratio', 'visa_reattempts']);
  assert.equal(near.find((event) => event.payload.measure === 'visa_reattempts')?.subjectId, standingSubjectOf(merchantId, 'visa_reattempts', '2026-06'));
  assert.deepEqual((await monitor.check()).events, 0, 'still near: nothing new');
  clock.advance(60_000);
  const restarted = new StandingMonitor({ store, clock, logger: silentLogger, settings: defaultStandingSettings, calendar });
  assert.equal((await restarted.check()).events, 0, 'a restart reads what was raised from the event stream');

  // 4 more declines on the card: 21 reattempts, over the 20; the decline ratio goes over too (22 of 124).
  await addSales(4, 4, Date.parse('2026-06-20T12:30:00+08:00'), 'k');
  clock.set(Date.parse('2026-06-20T13:00:00+08:00'));
  assert.equal((await restarted.check()).events, 2);
  assert.equal((await restarted.check()).events, 0);
  const over = await eventsOf('merchant.standing_over');
  assert.deepEqual(over.map((event) => [event.payload.measure, event.payload.state]).sort(), [['decline_ratio', 'over'], ['visa_reattempts', 'over']]);
  assert.equal((await eventsOf('merchant.standing_near')).length, 2, 'near was not raised again');
  assert.equal(over.find((event) => event.payload.measure === 'visa_reattempts')?.payload.value, 21);
});
