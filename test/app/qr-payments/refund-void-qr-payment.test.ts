// Goal: refunds of QR sales never give back more than was paid, a retried refund reuses its
// out_refund_no so the provider refunds once (also when recovery finishes a refund left unknown, or
// flags it once its window has passed), and a same-day void cancels the trade and marks the sale voided. Method: the use cases over SQLite with the scripted provider and its book.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FollowUpRequest } from '../../../src/core/ports/payments.ts';
import { cancelAnswer, noAnswer } from '../../support/fake-qr-channel.ts';
import { merchantId, qrFixture, qrTestSettings } from './qr-fixture.ts';
import { waitingFor } from '../../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 10 });

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

test('a refund still unknown when its budget ends is finished by recovery under the same out_refund_no, or flagged once its window has passed', async () => {
  const f = await qrFixture();
  try {
    const saleId = await paidSale(f);
    // Every refund call of the client's budget reaches the provider and loses its answer; then they come through.
    let answersLost = true;
    const refunded = { kind: 'answer' as const, state: 'refunded' as const, providerCode: null, providerMessage: null, providerRefundNo: null, refundedMinor: 3000, sentAtMs: 0, latencyMs: 5 };
    f.wechat.script('refund', ...Array.from({ length: 12 }, () => () => (answersLost ? noAnswer : refunded)));
    const result = await f.engine.followUp(followUp('refund', saleId, 3000));
    assert.ok(result.kind === 'completed' && result.view.status === 'pending');
    answersLost = false;
    await f.restart().recoverAfterRestart();
    assert.equal((await f.store.getPayment(result.view.id))?.status, 'approved');
    assert.equal(f.wechat.chargedMinor(saleId), 7000, 'refunded exactly once');

    // Another refund whose answers are never heard (the scripts left from above lose theirs again).
    const other = await paidSale(f);
    answersLost = true;
    f.wechat.script('refund', ...Array.from({ length: 16 }, () => noAnswer));
    const stuck = await f.engine.followUp(followUp('refund', other, 500));
    assert.ok(stuck.kind === 'completed' && stuck.view.status === 'pending');
    f.clock.advance(qrTestSettings.followUp.triesMax * qrTestSettings.followUp.backoffMsMax);
    await f.restart().recoverAfterRestart();
    const flagged = await f.store.getPayment(stuck.view.id);
    assert.equal(flagged?.status, 'pending');
    assert.equal(typeof flagged?.manualHandlingSinceMs, 'number');
  } finally {
    await f.close();
  }
});

test('a void a crash left pending after its cancel reached the provider is finished by recovery: the sale voided once; still unknown, it is flagged', async () => {
  const f = await qrFixture();
  try {
    const saleId = await paidSale(f);
    const secondSaleId = await paidSale(f);
    // The process "dies" while its cancel is on the wire: the provider closes the trade, no answer comes back.
    const cancel = f.wechat.cancel.bind(f.wechat);
    f.wechat.cancel = async (outTradeNo: string) => {
      await cancel(outTradeNo);
      f.wechat.cancel = cancel;
      return new Promise(() => {});
    };
    void f.engine.followUp(followUp('void', saleId, null));
    await waitFor('the cancel to reach the provider', () => f.wechat.calls.some((call) => call.kind === 'cancel'));
    assert.equal(f.wechat.chargedMinor(saleId), 0, 'the provider gave the money back');
    const [pendingVoid] = (await f.store.listPendingPayments(f.clock.nowMs() + 1, 10)).filter((payment) => payment.kind === 'void');
    assert.ok(pendingVoid !== undefined, 'the void was durable before its cancel');
    f.clock.advance(120_000);

    await f.restart().recoverAfterRestart();
    assert.equal((await f.store.getPayment(pendingVoid.id))?.status, 'approved');
    assert.equal((await f.store.getPayment(saleId))?.status, 'voided', 'the sale reads as the money stands');
    assert.equal(f.wechat.calls.filter((call) => call.kind === 'cancel').length, 2, 'one cancel again, for the same trade');
    await f.restart().recoverAfterRestart();
    assert.equal(f.wechat.calls.filter((call) => call.kind === 'cancel').length, 2, 'a finished void is not cancelled again');

    // A second crashed void whose recovery gets no answer either: flagged for manual handling, not left pending unflagged.
    f.wechat.cancel = async (outTradeNo: string) => {
      await cancel(outTradeNo);
      f.wechat.cancel = cancel;
      return new Promise(() => {});
    };
    void f.engine.followUp(followUp('void', secondSaleId, null));
    await waitFor('the second cancel to reach the provider', () => f.wechat.calls.filter((call) => call.kind === 'cancel').length === 3);
    const [secondVoid] = (await f.store.listPendingPayments(f.clock.nowMs() + 1, 10)).filter((payment) => payment.kind === 'void');
    assert.ok(secondVoid !== undefined);
    f.clock.advance(120_000);
    f.wechat.script('cancel', noAnswer);
    await f.restart().recoverAfterRestart();
    const flagged = await f.store.getPayment(secondVoid.id);
    assert.equal(flagged?.status, 'pending');
    assert.ok(typeof flagged?.manualHandlingSinceMs === 'number', 'flagged for manual handling');
  } finally {
    await f.close();
  }
});
