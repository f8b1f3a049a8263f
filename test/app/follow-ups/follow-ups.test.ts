// Goal: every follow-up of the transaction set (void, refund, completion, cancel, completion void,
// balance inquiry, batch settlement and upload) keeps the money rules end to end through the real
// engine, reversal worker and SQLite store. Method: scripted fake channels record what goes upstream
// and answer, lose or refuse it; each test checks the answer, the stored payments and the messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FollowUps } from '../../../src/app/follow-ups/follow-ups.ts';
import { defaultFollowUpSettings } from '../../../src/app/follow-ups/follow-up-settings.ts';
import type { FollowUpResult } from '../../../src/core/ports/payments.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import { merchantId, okPan, reply, sale, silentLogger, terminalId, type Script } from '../payments/sale-fixture.ts';
import { transmissionDateTime } from '../../../src/core/payments/upstream-fields.ts';
import { createFollowUpFixture, followUp, type FollowUpFixture } from './follow-up-fixture.ts';

async function approvedSale(fixture: FollowUpFixture, capture = true, amountMinor = 10_000): Promise<string> {
  const result = await fixture.engine.authorize(sale({ capture, amountMinor }));
  assert.equal(result.kind, 'completed');
  assert.ok(result.kind === 'completed' && result.view.status === 'approved');
  return result.view.id;
}

function statusOf(result: FollowUpResult): string {
  if (result.kind === 'completed') return result.view.status;
  if (result.kind === 'refused') return result.refusal.code;
  return result.kind;
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let round = 0; round < 200; round++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const approveAll: Script = (request) => reply(request, '00');

test('void of a same-day sale: 0200 200000 naming the sale in DE 90, the sale becomes voided', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    const saleAttempt = (await fixture.store.listAttempts(saleId))[0];
    const result = await fixture.followUps.followUp(followUp('void', saleId));
    assert.equal(statusOf(result), 'approved');
    const sent = fixture.channel.sent.at(-1) as IsoMessage;
    assert.equal(sent.mti, '0200');
    assert.equal(sent.fields[3], '200000');
    assert.equal(sent.fields[25], '00');
    assert.equal(sent.fields[4], '000000010000');
    assert.equal(String(sent.fields[90]).slice(0, 20), `0200${saleAttempt?.stan}${saleAttempt?.transmittedAt}`);
    assert.equal(sent.fields[2], undefined, 'no PAN: the host finds the card by DE 90');
    assert.equal((await fixture.store.getPayment(saleId))?.status, 'voided');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('void', saleId))), 'RSW_TXN_ALREADY_VOIDED');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 1 }))), 'RSW_TXN_ORIGINAL_NOT_APPROVED');
  } finally {
    await fixture.close();
  }
});

test('void refusals: another terminal, part of the amount, a settled batch, a refunded sale, another merchant', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('void', saleId, { intake: 'iso', terminalId: 'T0000002' }))), 'RSW_TXN_VOID_OTHER_TERMINAL');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('void', saleId, { amountMinor: 5_000 }))), 'RSW_TXN_VOID_AMOUNT');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('void', saleId, { merchantId: 'M999' }))), 'RSW_TXN_ORIGINAL_NOT_FOUND');
    const refundedId = await approvedSale(fixture);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', refundedId, { amountMinor: 100 }))), 'approved');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('void', refundedId))), 'RSW_TXN_HAS_REFUNDS');
    const journal = { debitCount: 2, debitMinor: 20_000, creditCount: 1, creditMinor: 100 };
    const settled = await fixture.followUps.settleBatch({ terminalId, batchNo: '000001', totals: journal });
    assert.equal(settled.responseCode, '00');
    const refused = await fixture.followUps.followUp(followUp('void', saleId));
    assert.equal(refused.kind, 'refused');
    assert.equal(refused.kind === 'refused' ? refused.refusal.reason : '', 'batch already settled: refund instead');
    assert.equal(refused.kind === 'refused' ? refused.refusal.isoResponseCode : '', '12');
    assert.equal(fixture.channel.sent.filter((m) => m.fields[3] === '200000' && m.mti === '0200').length, 0, 'no refused void went upstream');
  } finally {
    await fixture.close();
  }
});

test('a void whose answer is lost is reversed: the client hears 98, the void ends reversed and the sale stays charged', async () => {
  let lose = false;
  const fixture = await createFollowUpFixture((request) => {
    if (lose && request.mti === '0200' && request.fields[3] === '200000') return { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() };
    return reply(request, '00');
  });
  try {
    const saleId = await approvedSale(fixture);
    lose = true;
    const result = await fixture.followUps.followUp(followUp('void', saleId));
    assert.equal(result.kind, 'completed');
    assert.equal(result.kind === 'completed' ? result.diagnosis.verdict : '', 'wait');
    const voidId = result.kind === 'completed' ? result.view.id : '';
    await waitFor(async () => (await fixture.store.getPayment(voidId))?.status === 'reversed', 'the void reversed');
    const reversal = fixture.channel.reversals()[0];
    assert.equal(reversal?.fields[3], '200000');
    assert.equal((await fixture.store.getPayment(saleId))?.status, 'approved');
  } finally {
    await fixture.close();
  }
});

test('a refund while a void of the sale waits for the host is refused: if the void is approved the sale is not given back twice', async () => {
  let answerVoid: (() => void) | undefined;
  const fixture = await createFollowUpFixture((request) => {
    if (request.mti === '0200' && request.fields[3] === '200000') return new Promise((resolve) => (answerVoid = () => resolve(reply(request, '00'))));
    return reply(request, '00');
  });
  try {
    const saleId = await approvedSale(fixture);
    const voiding = fixture.followUps.followUp(followUp('void', saleId));
    await waitFor(async () => answerVoid !== undefined, 'the void upstream');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 1_000 }))), 'RSW_TXN_ALREADY_VOIDED');
    answerVoid?.();
    assert.equal(statusOf(await voiding), 'approved');
    assert.equal((await fixture.store.getPayment(saleId))?.status, 'voided');
    assert.deepEqual((await fixture.store.listFollowUps(saleId)).map((payment) => payment.kind), ['void'], 'no refund was stored');
  } finally {
    await fixture.close();
  }
});

test('a void reversed by its terminal (0400) reopens its sale', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    const request = followUp('void', saleId, { intake: 'iso', terminalId, terminalStan: '000777', terminalTransmittedAt: '1125101010' });
    const voided = await fixture.followUps.followUp({ ...request, idempotency: { scope: `iso:${terminalId}`, key: '000777:1125101010', requestHash: 'void-hash' } });
    assert.equal(statusOf(voided), 'approved');
    assert.equal((await fixture.store.getPayment(saleId))?.status, 'voided');
    const answer = await fixture.engine.reverseByTerminal({ terminalId, merchantId, amountMinor: 10_000, originalStan: '000777', originalTransmittedAt: '1125101010', reasonCode: '96' });
    assert.equal(answer.responseCode, '00');
    const voidId = voided.kind === 'completed' ? voided.view.id : '';
    await waitFor(async () => (await fixture.store.getPayment(voidId))?.status === 'reversed', 'the void reversed');
    assert.equal((await fixture.store.getPayment(saleId))?.status, 'approved', 'the sale is charged again, so it shows approved');
  } finally {
    await fixture.close();
  }
});

test('refunds: partial and repeated up to the original, the one fen too many refused, a racing burst never exceeds it', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 3_000 }))), 'approved');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 3_000 }))), 'approved');
    const tooMuch = await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 4_001 }));
    assert.equal(tooMuch.kind === 'refused' ? tooMuch.refusal.reason : '', 'refunds would exceed the original: 4000 of 10000 is left to refund');
    const burst = await Promise.all(Array.from({ length: 6 }, () => fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 1_000 }))));
    assert.equal(burst.filter((r) => statusOf(r) === 'approved').length, 4);
    assert.equal(burst.filter((r) => statusOf(r) === 'RSW_TXN_REFUND_EXCEEDS').length, 2);
    const refunds = (await fixture.store.listFollowUps(saleId)).filter((p) => p.kind === 'refund' && p.status === 'approved');
    assert.equal(refunds.reduce((sum, p) => sum + p.amountMinor, 0), 10_000);
    const advice = fixture.channel.sent.find((m) => m.mti === '0220');
    assert.equal(advice?.fields[3], '200000');
  } finally {
    await fixture.close();
  }
});

test('a refund advice without acknowledgement stays accepted and is forwarded as 0221 with the same STAN and DE 7 until acknowledged', async () => {
  let ack = false;
  const offset = { ms: 0 };
  const fixture = await createFollowUpFixture((request) => {
    if ((request.mti === '0220' || request.mti === '0221') && !ack) return { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() };
    if (request.mti === '0220' || request.mti === '0221') return { kind: 'reply', message: { mti: '0230', fields: { ...request.fields, 39: '00', 37: '000000000999' } }, sentAtMs: Date.now(), latencyMs: 1 };
    return reply(request, '00');
  }, offset);
  try {
    const saleId = await approvedSale(fixture);
    const result = await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 2_500 }));
    assert.equal(statusOf(result), 'approved');
    assert.equal((await fixture.store.listPendingAdvices(10)).length, 1);
    // Past the advice retry interval (engine.transactions.adviceRetryMs, 30 s by default).
    offset.ms = 31_000;
    ack = true;
    const pass = await fixture.followUps.forwardDueAdvices();
    assert.deepEqual(pass, { sent: 1, acknowledged: 1, expired: 0 });
    const [first, repeat] = fixture.channel.sent.filter((m) => m.mti.startsWith('022'));
    assert.equal(first?.mti, '0220');
    assert.equal(repeat?.mti, '0221');
    assert.equal(repeat?.fields[11], first?.fields[11]);
    assert.equal(repeat?.fields[7], first?.fields[7]);
    assert.equal((await fixture.store.listPendingAdvices(10)).length, 0);
    assert.equal(fixture.channel.reversals().length, 0, 'an advice is never reversed');
  } finally {
    await fixture.close();
  }
});

test('a 0221 the channel could not send (no connection) leaves the advice queued for the next pass, not handed to manual handling', async () => {
  let link: 'lost' | 'down' | 'up' = 'lost';
  const offset = { ms: 0 };
  const fixture = await createFollowUpFixture((request) => {
    if (!request.mti.startsWith('022')) return reply(request, '00');
    if (link === 'lost') return { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() };
    if (link === 'down') return { kind: 'not_sent', reason: 'no_connection', detail: 'no connection' };
    return { kind: 'reply', message: { mti: '0230', fields: { ...request.fields, 39: '00' } }, sentAtMs: Date.now(), latencyMs: 1 };
  }, offset);
  try {
    const saleId = await approvedSale(fixture);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 2_500 }))), 'approved');
    // Past the advice retry interval (engine.transactions.adviceRetryMs, 30 s by default), twice.
    offset.ms = 31_000;
    link = 'down';
    assert.deepEqual(await fixture.followUps.forwardDueAdvices(), { sent: 1, acknowledged: 0, expired: 0 });
    assert.equal((await fixture.store.listPendingAdvices(10)).length, 1, 'still queued');
    assert.equal((await fixture.store.listEvents(0, 500, 'payment.manual_handling')).length, 0);
    offset.ms = 62_000;
    link = 'up';
    assert.deepEqual(await fixture.followUps.forwardDueAdvices(), { sent: 1, acknowledged: 1, expired: 0 });
    assert.equal((await fixture.store.listPendingAdvices(10)).length, 0);
    assert.equal((await fixture.store.getPayment((await fixture.store.listFollowUps(saleId))[0]?.id ?? ''))?.status, 'approved');
  } finally {
    await fixture.close();
  }
});

test('a refund advice not acknowledged by its settlement date goes to manual handling, never re-sent across it', async () => {
  const offset = { ms: 0 };
  const fixture = await createFollowUpFixture((request) => (request.mti.startsWith('022') ? { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() } : reply(request, '00')), offset);
  try {
    const saleId = await approvedSale(fixture);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 100 }))), 'approved');
    offset.ms = 2 * 86_400_000;
    const sentBefore = fixture.channel.sent.length;
    assert.deepEqual(await fixture.followUps.forwardDueAdvices(), { sent: 0, acknowledged: 0, expired: 1 });
    assert.equal(fixture.channel.sent.length, sentBefore);
    const events = await fixture.store.listEvents(0, 500, 'payment.manual_handling');
    assert.equal(events.length, 1);
  } finally {
    await fixture.close();
  }
});

test('pre-authorization: completion within the tolerance, never twice, never over; cancel releases a hold; completion void', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const holdId = await approvedSale(fixture, false, 10_000);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('completion', holdId, { amountMinor: 11_501 }))), 'RSW_TXN_COMPLETION_EXCEEDS');
    const completed = await fixture.followUps.followUp(followUp('completion', holdId, { amountMinor: 11_500 }));
    assert.equal(statusOf(completed), 'approved');
    const sent = fixture.channel.sent.at(-1) as IsoMessage;
    assert.deepEqual([sent.mti, sent.fields[3], sent.fields[25]], ['0200', '000000', '06']);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('completion', holdId, { amountMinor: 1 }))), 'RSW_TXN_HOLD_CLOSED');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('preauth_cancel', holdId))), 'RSW_TXN_HOLD_CLOSED');
    const completionId = completed.kind === 'completed' ? completed.view.id : '';
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', completionId, { amountMinor: 500 }))), 'approved');
    const secondHold = await approvedSale(fixture, false, 8_000);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('preauth_cancel', secondHold, { amountMinor: 7_000 }))), 'RSW_TXN_CANCEL_AMOUNT');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('preauth_cancel', secondHold))), 'approved');
    const cancel = fixture.channel.sent.at(-1) as IsoMessage;
    assert.deepEqual([cancel.mti, cancel.fields[3], cancel.fields[25]], ['0100', '200000', '06']);
    assert.equal((await fixture.store.getPayment(secondHold))?.status, 'voided');
    const thirdHold = await approvedSale(fixture, false, 5_000);
    const capture = await fixture.followUps.followUp(followUp('completion', thirdHold));
    const captureId = capture.kind === 'completed' ? capture.view.id : '';
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('completion_void', captureId))), 'approved');
    const voidMessage = fixture.channel.sent.at(-1) as IsoMessage;
    assert.deepEqual([voidMessage.mti, voidMessage.fields[3], voidMessage.fields[25]], ['0200', '200000', '06']);
    assert.equal((await fixture.store.getPayment(captureId))?.status, 'voided');
  } finally {
    await fixture.close();
  }
});

test('an expired hold cannot be completed and is released by the expiry sweep', async () => {
  const offset = { ms: 0 };
  const fixture = await createFollowUpFixture(approveAll, offset);
  try {
    const holdId = await approvedSale(fixture, false, 10_000);
    const freshHold = await approvedSale(fixture, false, 2_000);
    offset.ms = 30 * 86_400_000;
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('completion', holdId))), 'RSW_TXN_HOLD_EXPIRED');
    assert.equal(await fixture.followUps.releaseExpiredHolds(), 2);
    assert.equal((await fixture.store.getPayment(holdId))?.status, 'voided');
    assert.equal((await fixture.store.getPayment(freshHold))?.status, 'voided');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('preauth_cancel', holdId))), 'RSW_TXN_HOLD_EXPIRED', 'a released hold still says why');
    assert.equal(await fixture.followUps.releaseExpiredHolds(), 0);
  } finally {
    await fixture.close();
  }
});

test('same Idempotency-Key replays the follow-up; another body is a mismatch', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    const request = followUp('refund', saleId, { amountMinor: 100 });
    const first = await fixture.followUps.followUp(request);
    const again = await fixture.followUps.followUp(request);
    assert.equal(again.kind, 'replayed');
    assert.equal(again.kind === 'replayed' && first.kind === 'completed' ? again.view.id : 'x', first.kind === 'completed' ? first.view.id : 'y');
    assert.equal((await fixture.followUps.followUp({ ...request, idempotency: { ...request.idempotency, requestHash: 'other' } })).kind, 'idempotency_mismatch');
    assert.equal(fixture.channel.sent.filter((m) => m.mti === '0220').length, 1);
  } finally {
    await fixture.close();
  }
});

test('balance inquiry: 0200 310000, the balance from DE 54, no payment stored and nothing reversed when the answer is lost', async () => {
  let lose = false;
  const fixture = await createFollowUpFixture((request) => {
    if (lose) return { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() };
    return reply(request, '00', { 54: '1002156C000000123456' });
  });
  try {
    const answered = await fixture.followUps.balanceInquiry({ merchantId, terminalId, card: { pan: '6222020000000000018', expiry: '3012' }, currency: 'CNY' });
    assert.equal(answered.kind, 'answered');
    assert.equal(answered.kind === 'answered' ? answered.balanceMinor : null, 123_456);
    assert.equal(fixture.channel.sent[0]?.fields[3], '310000');
    lose = true;
    const lost = await fixture.followUps.balanceInquiry({ merchantId, terminalId, card: { pan: '6222020000000000018' }, currency: 'CNY' });
    assert.equal(lost.kind, 'failed');
    assert.equal((await fixture.store.listPayments({ limit: 10 })).data.length, 0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(fixture.channel.reversals().length, 0);
  } finally {
    await fixture.close();
  }
});

test('batch settlement: unequal totals answer 95 and leave the batch open; equal totals close it; uploads are matched', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    await approvedSale(fixture, true, 2_000);
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 500 }))), 'approved');
    const wrong = await fixture.followUps.settleBatch({ terminalId, batchNo: '000001', totals: { debitCount: 2, debitMinor: 12_000, creditCount: 0, creditMinor: 0 } });
    assert.equal(wrong.responseCode, '95');
    assert.deepEqual(wrong.journal, { debitCount: 2, debitMinor: 12_000, creditCount: 1, creditMinor: 500 });
    const upload = await fixture.followUps.uploadBatchEntry({ terminalId, batchNo: '000001', stan: '999999', amountMinor: 1, processingCode: '000000' });
    assert.deepEqual(upload, { responseCode: '00', matched: false });
    const right = await fixture.followUps.settleBatch({ terminalId, batchNo: '000001', totals: wrong.journal });
    assert.equal(right.responseCode, '00');
    assert.equal((await fixture.store.getTerminal(terminalId))?.batchNo, '000002');
    const next = await fixture.followUps.settleBatch({ terminalId, batchNo: '000002', totals: { debitCount: 0, debitMinor: 0, creditCount: 0, creditMinor: 0 } });
    assert.equal(next.responseCode, '00', 'the new batch starts empty');
  } finally {
    await fixture.close();
  }
});

test('a terminal finds the original by its STAN and date, or by RRN also from another terminal of the merchant', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const result = await fixture.engine.authorize(sale({ intake: 'iso', terminalStan: '000321', terminalTransmittedAt: '1125090000', idempotency: { scope: `iso:${terminalId}`, key: '000321:1125090000', requestHash: 'h-iso' } }));
    const saleId = result.kind === 'completed' ? result.view.id : '';
    const rrn = result.kind === 'completed' ? (result.view.rrn ?? '') : '';
    assert.equal((await fixture.followUps.findOriginalForTerminal(terminalId, { stan: '000321', dateMmdd: '1125' }))?.id, saleId);
    assert.equal(await fixture.followUps.findOriginalForTerminal(terminalId, { stan: '000321', dateMmdd: '1126' }), null);
    assert.equal(await fixture.followUps.findOriginalForTerminal('T0000002', { rrn }), null);
    assert.equal((await fixture.followUps.findOriginalForTerminal('T0000002', { rrn }, merchantId))?.id, saleId);
  } finally {
    await fixture.close();
  }
});

test('a follow-up carrying another card than its original is refused before anything is stored or sent', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    const sentBefore = fixture.channel.sent.length;
    const paymentsBefore = (await fixture.store.listPayments({ limit: 100 })).data.length;
    const otherCard = await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 1_000, card: { pan: '4111111111111111' } }));
    assert.equal(statusOf(otherCard), 'RSW_TXN_CARD_MISMATCH');
    assert.equal(otherCard.kind === 'refused' ? otherCard.refusal.isoResponseCode : '', '14');
    const otherTrack = await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 1_000, card: { pan: okPan, track2: '4111111111111111=30121010000000000' } }));
    assert.equal(statusOf(otherTrack), 'RSW_TXN_CARD_MISMATCH', 'DE 35 must be the original card too');
    const otherVoid = await fixture.followUps.followUp(followUp('void', saleId, { card: { pan: '4111111111111111' } }));
    assert.equal(statusOf(otherVoid), 'RSW_TXN_CARD_MISMATCH');
    assert.equal(fixture.channel.sent.length, sentBefore, 'nothing went upstream');
    assert.equal((await fixture.store.listPayments({ limit: 100 })).data.length, paymentsBefore, 'nothing was stored');
    assert.equal((await fixture.store.getPayment(saleId))?.status, 'approved');

    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 1_000, card: { pan: okPan, track2: `${okPan}=30121010000000000` } }))), 'approved', 'the original card');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { amountMinor: 1_000 }))), 'approved', 'no card: the host finds it by DE 90');
  } finally {
    await fixture.close();
  }
});

test('a follow-up names its original by DE 61.3 (local date) between 00:00 and 08:00 China time, or by DE 90 (the whole DE 7)', async () => {
  const clockOffset = { ms: Date.parse('2026-12-31T18:30:00Z') - Date.now() }; // 02:30 on 1 January in China
  const fixture = await createFollowUpFixture(approveAll, clockOffset);
  try {
    const de7 = transmissionDateTime(Date.now() + clockOffset.ms);
    const result = await fixture.engine.authorize(sale({ intake: 'iso', terminalStan: '000654', terminalTransmittedAt: de7, idempotency: { scope: `iso:${terminalId}`, key: `000654:${de7}`, requestHash: 'h-61' } }));
    const saleId = result.kind === 'completed' ? result.view.id : '';
    assert.equal((await fixture.followUps.findOriginalForTerminal(terminalId, { stan: '000654', dateMmdd: '0101' }))?.id, saleId, 'the terminal\'s local date');
    assert.equal(await fixture.followUps.findOriginalForTerminal(terminalId, { stan: '000654', dateMmdd: '1231' }), null, 'the UTC date is not the sale\'s day');
    assert.equal((await fixture.followUps.findOriginalForTerminal(terminalId, { stan: '000654', transmittedAt: de7 }))?.id, saleId, 'DE 90 repeats DE 7');
    assert.equal(await fixture.followUps.findOriginalForTerminal(terminalId, { stan: '000654', transmittedAt: '1231183001' }), null);
  } finally {
    await fixture.close();
  }
});

test('a terminal of another shop naming this shop in DE 42 cannot refund or void its sales', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture);
    const nowMs = Date.now();
    await fixture.store.write(async (tx) => {
      await tx.upsertMerchant({ id: 'M00000000000002', name: 'Other shop', mcc: '5411', accepts: ['debit', 'credit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
      await tx.upsertTerminal({ id: 'T0000009', merchantId: 'M00000000000002', state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
    });
    const sentBefore = fixture.channel.sent.length;
    const iso = (stan: string) => ({ intake: 'iso' as const, terminalId: 'T0000009', idempotency: { scope: 'iso:T0000009', key: `${stan}:1205120000`, requestHash: `h-${stan}` } });
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { ...iso('000901'), amountMinor: 1_000 }))), 'RSW_TXN_TERMINAL_NOT_MERCHANTS');
    assert.equal(statusOf(await fixture.followUps.followUp(followUp('refund', saleId, { ...iso('000902'), terminalId: 'T0000404', amountMinor: 1_000 }))), 'RSW_TXN_TERMINAL_NOT_MERCHANTS', 'an unknown terminal');
    assert.equal(fixture.channel.sent.length, sentBefore, 'nothing went upstream');
    assert.deepEqual((await fixture.store.listFollowUps(saleId)).length, 0, 'nothing was stored');
  } finally {
    await fixture.close();
  }
});

test('after a PAN key rotation the original card still matches a sale fingerprinted under the retired key', async () => {
  const fixture = await createFollowUpFixture(approveAll);
  try {
    const saleId = await approvedSale(fixture); // fingerprinted under the fixture's key
    const settings = (panKeysRetired: Array<{ id: string; key: string }>) => ({
      ...defaultFollowUpSettings, adviceRetryMs: 50, terminalTimeoutMs: 3_000, replyMarginMs: 200, httpTerminalId: 'RSWHTTP0', localOffsetMinutes: 480,
      panKey: 'the-rotated-pan-key-0123456789', panKeysRetired,
      channels: [{ name: 'bank-a', priority: 1, disabled: false, acquirerId: '00000000001', timeoutMs: 500 }],
    });
    const rotated = (panKeysRetired: Array<{ id: string; key: string }>) =>
      new FollowUps({ store: fixture.store, channels: [fixture.channel], clock: { nowMs: () => Date.now() }, random: new SeededRandom(13), logger: silentLogger, reversalWorker: { kick() {} }, settings: settings(panKeysRetired) });
    const withoutRetired = rotated([]);
    const withRetired = rotated([{ id: 'pk_old', key: 'test-pan-key-0123456789' }]);
    assert.equal(statusOf(await withoutRetired.followUp(followUp('refund', saleId, { amountMinor: 1_000, card: { pan: okPan } }))), 'RSW_TXN_CARD_MISMATCH', 'without the retired key the card cannot be recognised');
    assert.equal(statusOf(await withRetired.followUp(followUp('refund', saleId, { amountMinor: 1_000, card: { pan: okPan } }))), 'approved');
    assert.equal(statusOf(await withRetired.followUp(followUp('refund', saleId, { amountMinor: 1_000, card: { pan: '4111111111111111' } }))), 'RSW_TXN_CARD_MISMATCH');
  } finally {
    await fixture.close();
  }
});
