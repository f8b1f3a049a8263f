// Goal: a UnionPay QR sale (entry mode `qr`, the scanned code as the card number) takes the card engine's
// money-safe path: built in the channel dialect's QR layout, stored with the code masked and fingerprinted
// as method unionpay-qr, an unknown outcome reversed by an 0400 and never resent, a second scan of the
// same code while the first is unresolved answered WAIT, only channels with a QR layout routed to.
// Method: the composed engine on a real SQLite store with scripted fake channels (sale-fixture.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { merchantId, reply, sale, testPanKey, type Fixture } from './sale-fixture.ts';
import { waitFor, withFixture } from './sale-test-helpers.ts';
import { CardNumber, fingerprintPan } from '../../../src/core/cards/pan.ts';
import { getText } from '../../../src/core/iso8583/index.ts';
import type { ChannelSendResult } from '../../../src/core/ports/channel.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const code = '6212345678901234567';

function qrSale(overrides: Parameters<typeof sale>[0] = {}) {
  return sale({ card: { number: new CardNumber(code), entryMode: 'qr' }, ...overrides });
}

/** The fixture's merchant, made to accept UnionPay QR (the config's default accepts card types only). */
async function acceptUnionPayQr(fixture: Fixture): Promise<void> {
  await fixture.store.write(async (tx) => {
    const merchant = await tx.getMerchant(merchantId);
    assert.ok(merchant !== null);
    await tx.upsertMerchant({ ...merchant, accepts: [...merchant.accepts, 'unionpay-qr'] });
  });
}

test('approved: the 0200 carries the code in DE 2 with DE 22 032 and QRC=C2B, the payment keeps only its masked form and fingerprint', async () => {
  await withFixture({}, async (fixture) => {
    await acceptUnionPayQr(fixture);
    const result = await fixture.engine.authorize(qrSale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'approved');
    const [sent] = fixture.channels[0]!.sales();
    assert.ok(sent !== undefined);
    assert.equal(getText(sent, 2), code);
    assert.equal(getText(sent, 22), '032');
    assert.equal(getText(sent, 48), 'QRC=C2B');
    for (const cardField of [14, 35, 52, 55]) assert.equal(sent.fields[cardField], undefined, `DE ${cardField} is not sent`);
    const stored = await fixture.store.getPayment(result.view.id);
    assert.equal(stored?.method, 'unionpay-qr');
    assert.equal(stored?.entryMode, 'qr');
    assert.equal(stored?.panMasked, '6212***********4567');
    assert.equal(stored?.cardBrand, 'unionpay');
    assert.equal(stored?.panFingerprint, fingerprintPan(code, testPanKey));
    const attempts = await fixture.store.listAttempts(result.view.id);
    assert.ok(!JSON.stringify({ stored, attempts }).includes(code), 'the full code is never stored');
    assert.equal(result.view.method, 'unionpay-qr');
  });
});

test('a merchant that does not accept unionpay-qr declines it locally (58, field method) and sends nothing', async () => {
  await withFixture({}, async ({ engine, channels }) => {
    const result = await engine.authorize(qrSale());
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'declined');
    assert.equal(result.diagnosis.code, '58');
    assert.equal(result.diagnosis.field, 'method');
    assert.equal(channels[0]!.sent.length, 0);
  });
});

test('an unknown outcome is reversed with an 0400 naming the sale, never resent on the other channel', async () => {
  const noReply = (request: Parameters<typeof reply>[0]): ChannelSendResult => (request.mti === '0200' ? { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() } : reply(request, '00'));
  await withFixture({ scripts: [noReply, (request) => reply(request, '00')] }, async (fixture) => {
    await acceptUnionPayQr(fixture);
    const result = await fixture.engine.authorize(qrSale());
    assert.ok(result.kind === 'completed');
    assert.notEqual(result.view.status, 'approved');
    await waitFor('the reversal', async () => (await fixture.store.getPayment(result.view.id))?.status === 'reversed');
    const [bankA, bankB] = fixture.channels;
    assert.equal(bankA!.sales().length, 1);
    assert.equal(bankB!.sales().length, 0, 'an unknown QR sale is not sent again elsewhere');
    const [reversal] = bankA!.reversals();
    assert.ok(reversal !== undefined);
    assert.equal(getText(reversal, 90)?.slice(4, 10), getText(bankA!.sales()[0]!, 11), 'DE 90 names the sale by its STAN');
  });
});

test('the same code scanned again while the first sale is unresolved is answered WAIT, not sent', async () => {
  let release: () => void = () => {};
  // The first sale's answer is held until the second scan has been answered.
  const held = (request: Parameters<typeof reply>[0]): Promise<ChannelSendResult> =>
    new Promise((resolve) => {
      release = () => resolve(reply(request, '00'));
    });
  await withFixture({ scripts: [held], settings: { reswipeGuardWindowMs: 60_000 } }, async (fixture) => {
    await acceptUnionPayQr(fixture);
    const first = fixture.engine.authorize(qrSale({ terminalId: null }));
    await waitFor('the first sale sent', () => fixture.channels[0]!.sales().length === 1);
    const second = await fixture.engine.authorize(qrSale({ terminalId: null }));
    assert.ok(second.kind === 'completed');
    assert.equal(second.view.status, 'declined');
    assert.equal(second.diagnosis.verdict, 'wait');
    release();
    const done = await first;
    assert.ok(done.kind === 'completed' && done.view.status === 'approved');
    assert.equal(fixture.channels[0]!.sales().length, 1, 'one charge request for one code');
  });
});

test('only channels whose dialect has a UnionPay QR layout carry it; none gives a not-sent decline', async () => {
  const channel = (name: string, dialect: string, priority: number) => ({ name, priority, disabled: false, acquirerId: '00000000001', timeoutMs: 1_000, dialect });
  await withFixture({ scripts: [(request) => reply(request, '00'), (request) => reply(request, '00')], settings: { channels: [channel('bank-a', 'host-custom.json', 1), channel('bank-b', 'cups-pos', 2)] } }, async (fixture) => {
    await acceptUnionPayQr(fixture);
    const result = await fixture.engine.authorize(qrSale());
    assert.ok(result.kind === 'completed' && result.view.status === 'approved');
    assert.equal(fixture.channels[0]!.sent.length, 0, 'the custom dialect has no QR layout');
    const [sent] = fixture.channels[1]!.sales();
    assert.ok(sent !== undefined);
    assert.deepEqual(sent.fields[60], { '1': '22', '2': '000001' }, 'the cups-pos layout');
    assert.equal(sent.fields[48], undefined);
  });
  await withFixture({ settings: { channels: [channel('bank-a', 'host-custom.json', 1)] } }, async (fixture) => {
    await acceptUnionPayQr(fixture);
    const result = await fixture.engine.authorize(qrSale());
    assert.ok(result.kind === 'completed' && result.view.status === 'declined');
    assert.equal(result.view.attempts.length, 0);
    assert.equal(fixture.channels[0]!.sent.length, 0);
  });
});

test('a UnionPay QR pre-authorization is refused naming capture', async () => {
  await withFixture({}, async (fixture) => {
    await assert.rejects(fixture.engine.authorize(qrSale({ capture: false })), (error: unknown) => isReswipeError(error, 'RSW_BAD_ARGUMENT') && error.field === 'capture');
  });
});
