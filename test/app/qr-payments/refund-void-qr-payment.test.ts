// Goal: refunds of QR sales never give back more than was paid, a retried refund reuses its
// out_refund_no so the provider refunds once, and a same-day void cancels the trade and marks the
// sale voided. Method: the use cases over SQLite with the scripted provider and its book.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FollowUpRequest } from '../../../src/core/ports/payments.ts';
import { cancelAnswer, noAnswer } from '../../support/fake-qr-channel.ts';
import { merchantId, qrFixture } from './qr-fixture.ts';

let keyNo = 0;
function followUp(operation: 'refund' | 'void', originalPaymentId: string, amountMinor: number | null): FollowUpRequest {
  keyNo += 1;
  return {
    operation,
    intake: 'http',
    merchantId,
    originalPaymentId,
    terminalId: null,
    amountMinor,
    currency: null,
    reference: null,
    idempotency: { scope: `http:${merchantId}`, key: `fu-${keyNo}`, requestHash: `${operation}:${originalPaymentId}:${amountMinor}` },
  };
}

async function paidSale(f: Awaited<ReturnType<typeof qrFixture>>): Promise<string> {
  const sale = await f.engine.takeQrPayment(f.sale({ amountMinor: 10_000 }));
  assert.ok(sale.kind === 'completed' && sale.view.status === 'approved');
  return sale.view.id;
}

test('partial refunds up to the amount paid, then refused; the book agrees', async () => {
  const f = await qrFixture();
  try {
    const saleId = await paidSale(f);
    const first = await f.engine.followUp(followUp('refund', saleId, 4000));
    assert.ok(first.kind === 'completed');
    assert.equal(first.view.status, 'approved');
    assert.equal(first.view.kind, 'refund');
    const second = await f.engine.followUp(followUp('refund', saleId, 6000));
    assert.ok(second.kind === 'completed' && second.view.status === 'approved');
    const third = await f.engine.followUp(followUp('refund', saleId, 1));
    assert.ok(third.kind === 'refused');
    assert.equal(third.refusal.code, 'RSW_TXN_REFUND_EXCEEDS');
    assert.equal(f.wechat.chargedMinor(saleId), 0);
  } finally {
    await f.close();
  }
});

test('a refund with no answer is sent again with the same out_refund_no: refunded once', async () => {
  const f = await qrFixture();
  try {
    const saleId = await paidSale(f);
    // The first refund reaches the provider and its answer is lost.
    f.wechat.script('refund', (trade) => {
      void trade;
      return noAnswer;
    });
    const result = await f.engine.followUp(followUp('refund', saleId, 3000));
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'approved');
    assert.equal(f.wechat.chargedMinor(saleId), 7000, 'refunded exactly once');
    const refundCalls = f.wechat.calls.filter((c) => c.kind === 'refund');
    assert.equal(refundCalls.length, 2);
  } finally {
    await f.close();
  }
});

test('a same-day void cancels the trade: the void approved, the sale voided, nothing charged; a second void is refused', async () => {
  const f = await qrFixture();
  try {
    const saleId = await paidSale(f);
    f.wechat.script('cancel', cancelAnswer(false, true), cancelAnswer(true));
    const voided = await f.engine.followUp(followUp('void', saleId, null));
    assert.ok(voided.kind === 'completed');
    assert.equal(voided.view.status, 'approved');
    assert.equal((await f.store.getPayment(saleId))?.status, 'voided');
    assert.equal(f.wechat.chargedMinor(saleId), 0);
    const again = await f.engine.followUp(followUp('void', saleId, null));
    assert.ok(again.kind === 'refused');
  } finally {
    await f.close();
  }
});

test('a void after a refund is refused; a void the provider never confirms is WAIT and flagged for manual handling', async () => {
  const f = await qrFixture();
  try {
    const refunded = await paidSale(f);
    await f.engine.followUp(followUp('refund', refunded, 100));
    const refused = await f.engine.followUp(followUp('void', refunded, null));
    assert.ok(refused.kind === 'refused');
    assert.equal(refused.refusal.code, 'RSW_TXN_HAS_REFUNDS');

    const saleId = await paidSale(f);
    f.wechat.script('cancel', noAnswer, noAnswer, noAnswer);
    const unknown = await f.engine.followUp(followUp('void', saleId, null));
    assert.ok(unknown.kind === 'completed');
    assert.equal(unknown.view.status, 'pending');
    assert.equal(unknown.view.decline?.verdict, 'wait');
    assert.ok(typeof (await f.store.getPayment(unknown.view.id))?.manualHandlingSinceMs === 'number');
    assert.equal((await f.store.getPayment(saleId))?.status, 'approved');
  } finally {
    await f.close();
  }
});
