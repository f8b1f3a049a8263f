// Goal: a QR sale ends as the provider's answers say, never pays twice, and what the client is told
// agrees with the fake provider's book, across every state, fault and a crash in between. Method: the
// real use cases over a SQLite store with scripted channels and a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cancelAnswer, noAnswer, notSent, tradeAnswer } from '../../support/fake-qr-channel.ts';
import { merchantId, qrFixture, wechatCode } from './qr-fixture.ts';
import { waitingFor } from '../../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 10 });

const pays = (calls: { kind: string }[]) => calls.filter((c) => c.kind === 'pay').length;

test('paid at once: approved, the code stored only masked, the provider trade number kept', async () => {
  const f = await qrFixture();
  try {
    const result = await f.engine.takeQrPayment(f.sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'approved');
    assert.equal(result.view.method, 'wechat');
    assert.equal(result.view.card.masked, '1345**********1234');
    const stored = await f.store.getPayment(result.view.id);
    assert.equal(stored?.method, 'wechat');
    assert.ok(!JSON.stringify(stored).includes(wechatCode), 'the full code is never stored');
    const [attempt] = await f.store.listAttempts(result.view.id);
    assert.equal(attempt?.providerTradeNo, `T${result.view.id}`);
    assert.equal(f.wechat.chargedMinor(result.view.id), 2500);
  } finally {
    await f.close();
  }
});

test('a refusal is declined with the catalogue diagnosis, nothing charged', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', tradeAnswer('failed', 'NOTENOUGH'));
    const result = await f.engine.takeQrPayment(f.sale());
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'declined');
    assert.equal(result.view.decline?.code, 'NOTENOUGH');
    assert.equal(result.view.decline?.category, 'insufficient_funds');
    assert.equal(result.view.decline?.verdict, 'fix');
    assert.equal(f.wechat.chargedMinor(result.view.id), 0);
  } finally {
    await f.close();
  }
});

test('the customer is paying: queried with backoff 2 s, 3 s until paid, never paid twice', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', tradeAnswer('paying', 'USERPAYING'));
    f.wechat.script('query', tradeAnswer('paying'), tradeAnswer('paid', null, 'WX1'));
    const startMs = f.clock.nowMs();
    const result = await f.engine.takeQrPayment(f.sale());
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'approved');
    assert.equal(f.clock.nowMs() - startMs, 5000);
    assert.deepEqual(f.wechat.calls.map((c) => c.kind), ['pay', 'query', 'query']);
  } finally {
    await f.close();
  }
});

test('paying past the budget: cancelled and confirmed, told not charged, the book agrees', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', tradeAnswer('paying', 'USERPAYING'));
    const result = await f.engine.takeQrPayment(f.sale());
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'reversed');
    assert.equal(result.view.attempts[0]?.outcome, 'reversed');
    assert.equal(pays(f.wechat.calls), 1);
    assert.equal(f.wechat.calls.at(-1)?.kind, 'cancel');
    assert.equal(f.wechat.chargedMinor(result.view.id), 0);
  } finally {
    await f.close();
  }
});

test('a system error, then the query says paid: approved (recovered from an unknown outcome)', async () => {
  const f = await qrFixture();
  try {
    f.alipay.script('pay', tradeAnswer('unknown', 'ACQ.SYSTEM_ERROR'));
    f.alipay.script('query', tradeAnswer('paid', null, 'ALI1'));
    const result = await f.engine.takeQrPayment(f.sale({ method: 'alipay' }));
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'approved');
    assert.equal(pays(f.alipay.calls), 1);
  } finally {
    await f.close();
  }
});

test('no answer and no answer to the cancels: told WAIT, the follow-up cancels it later, nothing charged', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', noAnswer);
    f.wechat.script('query', ...Array.from({ length: 30 }, () => noAnswer));
    f.wechat.script('cancel', noAnswer, noAnswer, noAnswer);
    const result = await f.engine.takeQrPayment(f.sale());
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'pending');
    assert.equal(result.view.decline?.verdict, 'wait');
    assert.equal(result.diagnosis.outcome, 'unknown');
    const followUp = await f.store.getQrFollowUpOfPayment(result.view.id);
    assert.equal(followUp?.state, 'pending');
    f.clock.advance(60_000);
    const pass = await f.engine.runFollowUps();
    assert.deepEqual(pass, { cancelled: 1, again: 0, dead: 0 });
    assert.equal((await f.store.getPayment(result.view.id))?.status, 'reversed');
    assert.equal(pays(f.wechat.calls), 1);
    assert.equal(f.wechat.chargedMinor(result.view.id), 0);
  } finally {
    await f.close();
  }
});

test('a follow-up that never gets a confirmation is handed to manual handling', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', noAnswer);
    f.wechat.script('query', ...Array.from({ length: 30 }, () => noAnswer));
    f.wechat.script('cancel', ...Array.from({ length: 6 }, () => cancelAnswer(false, true)));
    const result = await f.engine.takeQrPayment(f.sale());
    assert.ok(result.kind === 'completed');
    for (let i = 0; i < 3; i++) {
      f.clock.advance(20_000);
      await f.engine.runFollowUps();
    }
    const payment = await f.store.getPayment(result.view.id);
    assert.equal(payment?.status, 'pending');
    assert.ok(typeof payment?.manualHandlingSinceMs === 'number');
    assert.equal((await f.store.getQrFollowUpOfPayment(result.view.id))?.state, 'dead');
  } finally {
    await f.close();
  }
});

test('a pay that was not sent is sent once more; twice not sent is declined not charged', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', notSent);
    const once = await f.engine.takeQrPayment(f.sale());
    assert.ok(once.kind === 'completed');
    assert.equal(once.view.status, 'approved');
    assert.deepEqual(once.view.attempts.map((a) => a.outcome), ['not_sent', 'approved']);
    f.wechat.script('pay', notSent, notSent);
    const twice = await f.engine.takeQrPayment(f.sale());
    assert.ok(twice.kind === 'completed');
    assert.equal(twice.view.status, 'declined');
    assert.equal(twice.view.decline?.code, '96');
  } finally {
    await f.close();
  }
});

test('the same idempotency key replays the answer and never pays again; another body is a mismatch', async () => {
  const f = await qrFixture();
  try {
    const request = f.sale();
    const first = await f.engine.takeQrPayment(request);
    const again = await f.engine.takeQrPayment(request);
    assert.equal(again.kind, 'replayed');
    assert.ok(first.kind === 'completed' && again.kind === 'replayed');
    assert.equal(again.view.id, first.view.id);
    assert.equal(pays(f.wechat.calls), 1);
    const other = await f.engine.takeQrPayment({ ...request, idempotency: { ...request.idempotency, requestHash: 'other' } });
    assert.equal(other.kind, 'idempotency_mismatch');
  } finally {
    await f.close();
  }
});

test('local checks: a method the merchant does not accept, an unknown merchant, a bad code', async () => {
  const f = await qrFixture({ accepts: ['debit', 'wechat'] });
  try {
    const refused = await f.engine.takeQrPayment(f.sale({ method: 'alipay' }));
    assert.ok(refused.kind === 'completed');
    assert.equal(refused.view.status, 'declined');
    assert.equal(refused.view.decline?.code, '58');
    const unknown = await f.engine.takeQrPayment(f.sale({ merchantId: 'M00000000000009', idempotency: { scope: 'http:M00000000000009', key: 'k', requestHash: 'h' } }));
    assert.ok(unknown.kind === 'completed');
    assert.equal(unknown.view.decline?.code, '03');
    await assert.rejects(f.engine.takeQrPayment(f.sale({ authCode: '2812345678901234' })), (error: Error & { field?: string }) => error.field === 'authCode');
    assert.equal(f.wechat.calls.length + f.alipay.calls.length, 0);
  } finally {
    await f.close();
  }
});

/** A sale whose process "dies" after its pay reached the provider: the store keeps it pending, the book has the trade. */
async function crashAfterPay(f: Awaited<ReturnType<typeof qrFixture>>, hangState: 'paid' | 'failed'): Promise<string> {
  f.wechat.hangNextPay = { hangState };
  void f.engine.takeQrPayment(f.sale());
  await waitFor('the pay to reach the provider', () => f.wechat.calls.length > 0);
  const [pending] = await f.store.listPendingPayments(f.clock.nowMs() + 1, 10);
  assert.ok(pending !== undefined, 'the intent was durable before the pay');
  f.clock.advance(120_000);
  return pending.id;
}

test('crash after the pay went out: the restarted process queries, then cancels a paid trade nobody was told about', async () => {
  const f = await qrFixture();
  try {
    const paymentId = await crashAfterPay(f, 'paid');
    assert.equal(f.wechat.chargedMinor(paymentId), 2500);
    const recovered = await f.restart().recoverAfterRestart();
    assert.deepEqual(recovered, { payments: 1, declined: 0, cancelsQueued: 1 });
    assert.equal((await f.store.getPayment(paymentId))?.status, 'reversed');
    assert.equal(f.wechat.chargedMinor(paymentId), 0);
    assert.equal(pays(f.wechat.calls), 1);
  } finally {
    await f.close();
  }
});

test('recovery finishes a refused trade declined without a cancel', async () => {
  const f = await qrFixture();
  try {
    const paymentId = await crashAfterPay(f, 'failed');
    f.wechat.script('query', tradeAnswer('failed', 'AUTHCODEEXPIRE'));
    const recovered = await f.restart().recoverAfterRestart();
    assert.deepEqual(recovered, { payments: 1, declined: 1, cancelsQueued: 0 });
    const payment = await f.store.getPayment(paymentId);
    assert.equal(payment?.status, 'declined');
    assert.equal(payment?.decline?.code, 'AUTHCODEEXPIRE');
    assert.ok(!f.wechat.calls.some((c) => c.kind === 'cancel'));
    assert.equal(merchantId.length, 15);
  } finally {
    await f.close();
  }
});
