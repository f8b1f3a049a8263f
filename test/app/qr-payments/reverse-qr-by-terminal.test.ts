// Goal: a terminal's 0400 of a QR sale (after the terminal reversal rules allowed it) never pays and
// never sends a card reversal: an approved trade is cancelled as a void (money back, sale `voided`,
// a repeated 0400 replays without a second cancel); a sale still unknown gets its cancel queued once;
// a declined sale needs nothing. Method: the QR use cases over SQLite with the scripted provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cancelAnswer, noAnswer, tradeAnswer } from '../../support/fake-qr-channel.ts';
import type { TerminalReversalInput } from '../../../src/core/ports/payments.ts';
import { merchantId, qrFixture, terminalId } from './qr-fixture.ts';

const reversalOf = (amountMinor: number): TerminalReversalInput => ({ terminalId, originalStan: '000001', originalTransmittedAt: '1206101500', merchantId, amountMinor, reasonCode: '98' });
const countOf = (calls: ReadonlyArray<{ kind: string }>, kind: string) => calls.filter((call) => call.kind === kind).length;

test('an approved QR sale: the trade is cancelled once, the sale ends voided, a repeated 0400 replays', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', tradeAnswer('paid'));
    f.wechat.script('cancel', cancelAnswer(true));
    const sale = await f.engine.takeQrPayment(f.sale({ intake: 'iso', terminalId }));
    assert.ok(sale.kind === 'completed' && sale.view.status === 'approved');
    const payment = (await f.store.getPayment(sale.view.id))!;
    assert.deepEqual(await f.engine.reverseByTerminal(payment, reversalOf(2500)), { responseCode: '00' });
    assert.equal((await f.store.getPayment(sale.view.id))?.status, 'voided');
    assert.equal(f.wechat.chargedMinor(sale.view.id), 0);
    assert.deepEqual(await f.engine.reverseByTerminal(payment, reversalOf(2500)), { responseCode: '00' });
    assert.equal(countOf(f.wechat.calls, 'cancel'), 1);
    assert.equal(countOf(f.wechat.calls, 'pay'), 1);
  } finally {
    await f.close();
  }
});

test('a QR sale still unknown: its cancel is queued (once), no pay, no query from the 0400', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', noAnswer);
    f.wechat.script('query', ...Array.from({ length: 30 }, () => noAnswer));
    f.wechat.script('cancel', noAnswer, noAnswer, noAnswer);
    const sale = await f.engine.takeQrPayment(f.sale({ intake: 'iso', terminalId }));
    assert.ok(sale.kind === 'completed' && sale.view.status === 'pending');
    const callsBefore = f.wechat.calls.length;
    const payment = (await f.store.getPayment(sale.view.id))!;
    assert.deepEqual(await f.engine.reverseByTerminal(payment, reversalOf(2500)), { responseCode: '00' });
    assert.equal(f.wechat.calls.length, callsBefore, 'the 0400 itself calls nothing');
    assert.equal((await f.store.getQrFollowUpOfPayment(sale.view.id))?.state, 'pending');
  } finally {
    await f.close();
  }
});

test('a declined QR sale needs nothing', async () => {
  const f = await qrFixture();
  try {
    f.wechat.script('pay', tradeAnswer('failed', 'NOTENOUGH'));
    const sale = await f.engine.takeQrPayment(f.sale({ intake: 'iso', terminalId }));
    assert.ok(sale.kind === 'completed' && sale.view.status === 'declined');
    const callsBefore = f.wechat.calls.length;
    assert.deepEqual(await f.engine.reverseByTerminal((await f.store.getPayment(sale.view.id))!, reversalOf(2500)), { responseCode: '00' });
    assert.equal(f.wechat.calls.length, callsBefore);
    assert.equal(await f.store.getQrFollowUpOfPayment(sale.view.id), null);
  } finally {
    await f.close();
  }
});
