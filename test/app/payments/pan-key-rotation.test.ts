// Goal: rotating the card-fingerprint key loses no card history: a sale fingerprinted under the new key
// still sees an unsettled twin fingerprinted under the retired key (the re-swipe guard answers WAIT), and
// every new payment records the id of the key its fingerprint was made under. Method: the real engine on
// a real SQLite store; the earlier, unsettled sale is stored with its fingerprint under the old key, and the
// same run without the retired key shows the guard would otherwise miss it (the test can fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprintPan, maskPan } from '../../../src/core/cards/pan.ts';
import { panKeyIdOf } from '../../../src/core/config/pan-key.ts';
import { createFixture, merchantId, okPan, sale, terminalId } from './sale-fixture.ts';

const oldKey = '3f9c1e7a52b04d86a1e0c7f25b9d3e48c6a71f0e2d5b8c94e3a7f16b0d2c5e98';
const newKey = 'q8VvJ3m0cX5Tn2WbR7yLk1Hs9DfGp4Za6Ue0Oi3Bw2M=';

async function saleAfterRotation(retired: boolean): Promise<{ status: string | false; panKeyId: string | undefined }> {
  const fixture = await createFixture({
    settings: { panKey: newKey, panKeyId: panKeyIdOf(newKey), panKeysRetired: retired ? [{ id: panKeyIdOf(oldKey), key: oldKey }] : [], reswipeGuardWindowMs: 120_000 },
  });
  try {
    const nowMs = Date.now();
    await fixture.store.write(async (tx) => {
      await tx.insertPayment({
        id: 'pay_before_rotation', kind: 'sale', status: 'pending', intake: 'http', merchantId, terminalId, amountMinor: 12_345, currency: 'CNY',
        panFingerprint: fingerprintPan(okPan, oldKey), panKeyId: panKeyIdOf(oldKey), panMasked: maskPan(okPan), cardBrand: 'unionpay', cardType: 'debit', cardIssuer: null, entryMode: 'chip',
        terminalStan: null, terminalTransmittedAt: null, reference: null, originalPaymentId: null, responseCode: null, authCode: null, rrn: null, decline: null,
        createdAtMs: nowMs - 5_000, updatedAtMs: nowMs - 5_000, version: 1,
      });
    });
    const result = await fixture.engine.authorize(sale({ amountMinor: 12_345 }));
    const status = result.kind === 'completed' && result.view.status;
    const stored = result.kind === 'completed' ? await fixture.store.getPayment(result.view.id) : null;
    return { status, panKeyId: stored?.panKeyId };
  } finally {
    await fixture.close();
  }
}

test('after a rotation the re-swipe guard still finds a twin fingerprinted under the retired key', async () => {
  const rotated = await saleAfterRotation(true);
  assert.equal(rotated.status, 'declined', 'WAIT: the earlier sale under the old key may still have moved money');
  assert.equal(rotated.panKeyId, panKeyIdOf(newKey), 'new fingerprints carry the current key id');
  const forgotten = await saleAfterRotation(false);
  assert.equal(forgotten.status, 'approved', 'without the retired key the history is lost: the guard sees nothing');
});

test('a retransmission that straddles a rotation is a replay: its hash under the retired key matches the stored one', async () => {
  const fixture = await createFixture({ settings: { panKey: newKey, panKeysRetired: [{ id: panKeyIdOf(oldKey), key: oldKey }] } });
  try {
    const idempotency = { scope: `http:${merchantId}`, key: 'straddles-rotation' };
    // Before the restart the hash was made under the old key; after it, under the new one.
    const first = await fixture.engine.authorize(sale({ idempotency: { ...idempotency, requestHash: 'hash-under-old-key' } }));
    const replay = await fixture.engine.authorize(sale({ idempotency: { ...idempotency, requestHash: 'hash-under-new-key', requestHashesRetired: ['hash-under-old-key'] } }));
    assert.equal(first.kind, 'completed');
    assert.equal(replay.kind, 'replayed');
    assert.equal(replay.kind === 'replayed' && first.kind === 'completed' && replay.view.id === first.view.id, true, 'the same payment comes back');
    const other = await fixture.engine.authorize(sale({ idempotency: { ...idempotency, requestHash: 'hash-under-new-key' } }));
    assert.equal(other.kind, 'idempotency_mismatch', 'without the retired hash it would be refused as another request');
  } finally {
    await fixture.close();
  }
});
