// Goal: the Reswipe-Signature scheme is exactly the documented one and the receiver's check refuses
// what it must. Method: a known-answer vector computed independently with node:crypto, then table
// tests of tampering, rotation (two v1 values) and the timestamp tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseSignatureHeader, verifyWebhookSignature, webhookSignatureHeader } from '../../../src/core/webhooks/webhook-signature.ts';
import { nextTryAfterFailure, retryDelayMs, webhookDeliverySchedule } from '../../../src/core/webhooks/delivery-schedule.ts';
import { endpointWantsEvent, webhookEndpointProblem } from '../../../src/core/webhooks/webhook-endpoint.ts';

const body = '{"id":"evt_1","type":"payment.completed"}';

test('the header is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
  const expected = createHmac('sha256', 'whsec_a').update(`1700000000.${body}`).digest('hex');
  assert.equal(webhookSignatureHeader(['whsec_a'], 1_700_000_000, body), `t=1700000000,v1=${expected}`);
});

test('a receiver accepts the right secret, any of the rotated ones, and refuses tampering, other secrets and stale times', () => {
  const header = webhookSignatureHeader(['whsec_new', 'whsec_old'], 1_700_000_000, body);
  assert.equal(parseSignatureHeader(header)?.signatures.length, 2);
  const check = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]>) => verifyWebhookSignature({ header, body, secrets: ['whsec_old'], nowSeconds: 1_700_000_010, ...overrides });
  assert.equal(check({}).ok, true, 'a receiver still on the old secret verifies during the rotation');
  assert.equal(check({ secrets: ['whsec_new'] }).ok, true);
  assert.deepEqual(check({ secrets: ['whsec_other'] }), { ok: false, reason: 'no_match' });
  assert.deepEqual(check({ body: body.replace('completed', 'reversed') }), { ok: false, reason: 'no_match' });
  assert.deepEqual(check({ nowSeconds: 1_700_000_000 + 301 }), { ok: false, reason: 'too_old_or_new' });
  assert.deepEqual(check({ header: header.replace('t=1700000000', 't=1700000005') }), { ok: false, reason: 'no_match' }, 'the time is signed');
  assert.deepEqual(check({ header: 'v1=abc' }), { ok: false, reason: 'malformed' });
});

test('retries: the first within a minute, doubling, capped, and given up after 3 days', () => {
  assert.ok(retryDelayMs(webhookDeliverySchedule, 1) <= 60_000);
  assert.equal(retryDelayMs(webhookDeliverySchedule, 2), 2 * retryDelayMs(webhookDeliverySchedule, 1));
  assert.equal(retryDelayMs(webhookDeliverySchedule, 40), webhookDeliverySchedule.retryMsMax);
  let atMs = 0;
  let tries = 0;
  for (;;) {
    tries += 1;
    const next = nextTryAfterFailure(webhookDeliverySchedule, { failedAtMs: atMs, triesSoFar: tries, jitterFraction: 0 });
    if (next.kind === 'give_up') break;
    assert.ok(next.atMs > atMs);
    atMs = next.atMs;
    assert.ok(tries < 100, 'the schedule ends');
  }
  assert.equal(atMs, webhookDeliverySchedule.giveUpAfterMs, 'the last try lands on the 3-day bound');
});

test('endpoints: https only outside development mode, no credentials, known event types', () => {
  const rows: Array<[string, string[], boolean, string | null]> = [
    ['https://hooks.example.test/x', ['payment.completed'], false, null],
    ['http://hooks.example.test/x', ['payment.completed'], false, 'url'],
    ['http://127.0.0.1:9/x', ['payment.completed'], true, null],
    ['https://user:pw@hooks.example.test/x', ['*'], false, 'url'],
    ['https://hooks.example.test/x', ['payment.nope'], false, 'eventTypes'],
    ['https://hooks.example.test/x', ['*', 'payment.completed'], false, 'eventTypes'],
    ['https://hooks.example.test/x', [], false, 'eventTypes'],
  ];
  for (const [url, eventTypes, developmentMode, field] of rows) assert.equal(webhookEndpointProblem({ url, eventTypes }, { developmentMode })?.field ?? null, field, `${url} ${eventTypes.join(',')}`);
  assert.equal(endpointWantsEvent(['*'], 'channel.opened'), true);
  assert.equal(endpointWantsEvent(['*'], 'webhook.test'), false, 'test sends go only where asked');
  assert.equal(endpointWantsEvent(['payment.completed'], 'channel.opened'), false);
});
