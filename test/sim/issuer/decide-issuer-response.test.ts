// Goal: the simulated issuer answers every magic card and amount as the table says, moves money once per request, replays duplicates, and reverses idempotently. Method: table tests through the pure rules with a fixed clock and seed, applying the returned events to the books as the server does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { decideIssuerResponse, makeRrn, originalKeyOf, visaDeclineCategory, type IssuerDecision } from '../../../src/sim/issuer/decide-issuer-response.ts';
import { IssuerBook, netChargedMinor, viewLedger } from '../../../src/sim/issuer/issuer-book.ts';
import { findTestCard, magicAmounts, testCards } from '../../../src/sim/issuer/test-cards.ts';
import { echoRequest, freshStan, originalDataOf, reversalOf, saleRequest } from './issuer-requests.ts';

const nowMs = Date.UTC(2026, 10, 25, 21, 30, 0);

function newIssuer(): { book: IssuerBook; send: (request: IsoMessage) => IssuerDecision } {
  const book = new IssuerBook();
  const random = new SeededRandom(7);
  return {
    book,
    send(request) {
      const decision = decideIssuerResponse(book, request, { nowMs, random });
      for (const event of decision.events) book.apply(event);
      return decision;
    },
  };
}

function code(decision: IssuerDecision): string | undefined {
  return decision.response?.fields[39] as string | undefined;
}

function available(book: IssuerBook, pan: string): number {
  const card = findTestCard(pan);
  assert.ok(card);
  return book.account(card.id).availableMinor;
}

const healthyDebit = '6222020000000000018';
const healthyVisa = '4111111111111111';

test('every test card answers its expected code to a ¥100.00 sale with the expiry and CVV on file', () => {
  for (const card of testCards) {
    const { send } = newIssuer();
    const decision = send(saleRequest({ pan: card.pan, amountMinor: 10_000, expiry: card.expiry, cvv: card.cvv }));
    assert.equal(code(decision), card.expectedCode, `${card.id}`);
    assert.equal(decision.outcome, card.expectedCode === '00' ? 'approved' : 'declined', card.id);
  }
});

test('the same cards answer the same without DE 14 and DE 48 (the HTTP path may send neither)', () => {
  for (const card of testCards) {
    const { send } = newIssuer();
    assert.equal(code(send(saleRequest({ pan: card.pan, amountMinor: 10_000, expiry: null }))), card.expectedCode, card.id);
  }
});

test('every magic response-code amount forces its code on a healthy card and moves no money', () => {
  for (const row of magicAmounts) {
    if (row.effect.kind !== 'code') continue;
    const { book, send } = newIssuer();
    const before = available(book, healthyDebit);
    const decision = send(saleRequest({ pan: healthyDebit, amountMinor: row.amountMinor }));
    assert.equal(code(decision), row.effect.code, String(row.amountMinor));
    assert.equal(available(book, healthyDebit), before);
  }
});

test('magic fault amounts are ordinary amounts to the rules: the fault is the server’s job', () => {
  for (const row of magicAmounts) {
    if (row.effect.kind !== 'fault') continue;
    const { send } = newIssuer();
    assert.equal(code(send(saleRequest({ pan: healthyDebit, amountMinor: row.amountMinor }))), '00', String(row.amountMinor));
  }
});

test('a card decline wins over a magic amount: a lost card stays 41 at ¥999.91', () => {
  const { send } = newIssuer();
  assert.equal(code(send(saleRequest({ pan: '6222020000000000026', amountMinor: 99_991 }))), '41');
});

test('card data checks: wrong expiry 54, wrong CVV 05 on UnionPay and N7 on Visa, unknown card 14', () => {
  const rows: Array<[string, Partial<Parameters<typeof saleRequest>[0]>, string]> = [
    ['wrong expiry', { pan: healthyDebit, expiry: '2912' }, '54'],
    ['past expiry', { pan: healthyDebit, expiry: '2001' }, '54'],
    ['wrong CVV UnionPay', { pan: healthyDebit, cvv: '999' }, '05'],
    ['wrong CVV Visa', { pan: healthyVisa, cvv: '999' }, 'N7'],
    ['right CVV Visa', { pan: healthyVisa, cvv: '123' }, '00'],
    ['Amex CID', { pan: '378282246310005', cvv: '1234' }, '00'],
    ['unknown card', { pan: '6222021234567890123' }, '14'],
    ['zero amount', { pan: healthyDebit, amountMinor: 0 }, '13'],
  ];
  for (const [name, input, expected] of rows) {
    const { send } = newIssuer();
    assert.equal(code(send(saleRequest({ pan: healthyDebit, amountMinor: 10_000, ...input }))), expected, name);
  }
});

test('limited cards approve small sales and decline large ones; Visa declines carry VCAT, the MAC 03 card carries MAC=03', () => {
  const { send } = newIssuer();
  assert.equal(code(send(saleRequest({ pan: '6217000000000000012', amountMinor: 4_000 }))), '00');
  assert.equal(code(send(saleRequest({ pan: '6217000000000000012', amountMinor: 4_000 }))), '51', 'balance 1000 left');
  assert.equal(code(send(saleRequest({ pan: '6217000000000000038', amountMinor: 5_000 }))), '00');
  assert.equal(code(send(saleRequest({ pan: '6217000000000000038', amountMinor: 5_001 }))), '61');
  const visaLow = send(saleRequest({ pan: '4319400000000026', amountMinor: 10_000 }));
  assert.equal(code(visaLow), '51');
  assert.equal(visaLow.response?.fields[48], 'VCAT=2');
  const mac = send(saleRequest({ pan: '5555550000000010', amountMinor: 10_000 }));
  assert.equal(code(mac), '05');
  assert.equal(mac.response?.fields[48], 'MAC=03');
  assert.equal(visaDeclineCategory('41'), '1');
  assert.equal(visaDeclineCategory('N7'), '3');
  assert.equal(visaDeclineCategory('05'), '4');
});

test('an approved sale echoes the host-link fields and adds RRN, auth code, response code and text', () => {
  const { book, send } = newIssuer();
  const request = saleRequest({ pan: healthyDebit, amountMinor: 12_345, stan: '000042' });
  const decision = send(request);
  const response = decision.response;
  assert.ok(response);
  assert.equal(response.mti, '0210');
  for (const de of [3, 4, 7, 11, 32, 41, 42, 49]) assert.equal(response.fields[de], request.fields[de], `DE ${de}`);
  assert.equal(response.fields[2], undefined, 'the PAN is not echoed');
  assert.equal(String(response.fields[37]).length, 12);
  assert.match(String(response.fields[38]), /^\d{6}$/);
  assert.equal(response.fields[39], '00');
  assert.equal(typeof response.fields[63], 'string');
  assert.equal(available(book, healthyDebit), 10_000_000 - 12_345);
  assert.equal(makeRrn(nowMs, 1), '6329210000' + '01');
});

test('a duplicate returns the original response and charges once; the same key with another body answers 94', () => {
  const { book, send } = newIssuer();
  const request = saleRequest({ pan: healthyDebit, amountMinor: 10_000 });
  const first = send(request);
  const again = send(structuredClone(request));
  assert.equal(again.outcome, 'duplicate');
  assert.deepEqual(again.response, first.response);
  assert.equal(again.events.length, 0);
  assert.equal(available(book, healthyDebit), 10_000_000 - 10_000);
  const clash = send({ ...request, fields: { ...request.fields, 4: '000000020000' } });
  assert.equal(code(clash), '94');
  assert.equal(clash.outcome, 'duplicate_mismatch');
  assert.equal(available(book, healthyDebit), 10_000_000 - 10_000);
  const declined = saleRequest({ pan: '6222020000000000026', amountMinor: 10_000 });
  assert.deepEqual(send(declined).response, send(declined).response, 'a declined request replays its decline');
});

test('reversal is idempotent: 0400, 0401 repeat, then another 0400 credit the sale back once', () => {
  const { book, send } = newIssuer();
  const sale = saleRequest({ pan: healthyDebit, amountMinor: 10_000 });
  assert.equal(code(send(sale)), '00');
  const reversal = reversalOf(sale, freshStan());
  const first = send(reversal);
  assert.equal(first.outcome, 'reversed');
  assert.equal(code(first), '00');
  assert.equal(first.response?.mti, '0410');
  for (const de of [7, 11, 32, 41, 90]) assert.equal(first.response?.fields[de], reversal.fields[de], `DE ${de}`);
  assert.equal(available(book, healthyDebit), 10_000_000);
  const repeat = send({ ...reversal, mti: '0401' });
  assert.equal(repeat.outcome, 'duplicate');
  assert.equal(code(repeat), '00');
  assert.equal(repeat.response?.mti, '0410');
  const second = send(reversalOf(sale, freshStan()));
  assert.equal(second.outcome, 'reversal_noop');
  assert.equal(code(second), '00');
  assert.equal(available(book, healthyDebit), 10_000_000);
  const view = viewLedger(book, 10);
  assert.equal(view.totals.charges.amountMinor, 10_000);
  assert.equal(view.totals.chargesReversed.amountMinor, 10_000);
  assert.equal(view.totals.chargesReversed.count, 1);
  assert.equal(view.totals.netChargedMinor, 0);
  assert.equal(view.entries[0]?.reversed, true);
});

test('reversing something never seen answers 25 and moves no money; the original arriving later is never charged', () => {
  const { book, send } = newIssuer();
  const sale = saleRequest({ pan: healthyDebit, amountMinor: 10_000 });
  const reversal = send(reversalOf(sale, freshStan()));
  assert.equal(code(reversal), '25');
  assert.equal(reversal.outcome, 'reversal_unknown');
  const late = send(sale);
  assert.equal(late.outcome, 'declined');
  assert.equal(code(late), '12');
  assert.equal(available(book, healthyDebit), 10_000_000);
});

test('reversing a declined sale answers 00 and moves nothing', () => {
  const { book, send } = newIssuer();
  const sale = saleRequest({ pan: '6217000000000000012', amountMinor: 10_000 });
  assert.equal(code(send(sale)), '51');
  const reversal = send(reversalOf(sale, freshStan()));
  assert.equal(code(reversal), '00');
  assert.equal(reversal.outcome, 'reversal_noop');
  assert.equal(available(book, '6217000000000000012'), 5_000);
});

test('pre-authorization holds, refunds credit, a referenced refund is bounded by its sale', () => {
  const { book, send } = newIssuer();
  const hold = send(saleRequest({ pan: '6225880000000019', amountMinor: 30_000, mti: '0100', processingCode: '030000' }));
  assert.equal(hold.response?.mti, '0110');
  assert.equal(code(hold), '00');
  assert.equal(available(book, '6225880000000019'), 5_000_000 - 30_000);
  const sale = saleRequest({ pan: healthyDebit, amountMinor: 10_000 });
  send(sale);
  const refund = (amountMinor: number, stan = freshStan()): IsoMessage =>
    saleRequest({ pan: healthyDebit, amountMinor, processingCode: '200000', original: originalDataOf(sale), stan });
  assert.equal(code(send(refund(6_000))), '00');
  assert.equal(code(send(refund(5_000))), '64', 'only 4000 left to refund');
  assert.equal(code(send(refund(4_000))), '00');
  assert.equal(available(book, healthyDebit), 10_000_000);
  const unreferenced = send(saleRequest({ pan: healthyDebit, amountMinor: 700, mti: '0220', processingCode: '200000' }));
  assert.equal(unreferenced.response?.mti, '0230');
  assert.equal(code(unreferenced), '00');
  assert.equal(available(book, healthyDebit), 10_000_700);
  const view = viewLedger(book, 100);
  const card = view.cards.find((row) => row.panMasked === '622202*********0018');
  assert.ok(card);
  assert.equal(card.refunds.amountMinor, 10_700);
  assert.equal(netChargedMinor(card), 10_000 - 10_700);
  assert.ok(!JSON.stringify(view).includes(healthyDebit), 'the ledger view holds no full PAN');
});

test('network management answers sign-on, sign-off and echo; malformed and unsupported requests get 30 and 12', () => {
  const { send } = newIssuer();
  for (const which of ['001', '002', '301']) {
    const decision = send(echoRequest(which));
    assert.equal(decision.response?.mti, '0810');
    assert.equal(code(decision), '00');
    assert.equal(decision.response?.fields[70], which);
  }
  assert.equal(code(send(echoRequest('999'))), '12');
  const missing = saleRequest({ pan: healthyDebit, amountMinor: 100 });
  delete missing.fields[42];
  assert.equal(code(send(missing)), '30');
  assert.equal(code(send(saleRequest({ pan: healthyDebit, amountMinor: 100, processingCode: '400000' }))), '12');
  assert.equal(send({ mti: '0210', fields: { 39: '00' } }).response, null, 'a response MTI is not answered');
});

test('DE 90 names the original by MTI, STAN, DE 7 and DE 32 (zero-filled), terminal from the reversal', () => {
  assert.equal(originalKeyOf('0200000042112521300000012345678' + '00000000000', 'T0000001'), '12345678|T0000001|000042|1125213000');
  assert.equal(originalKeyOf('short', 'T0000001'), undefined);
});

test('replaying the events into a fresh book gives the same ledger', () => {
  const { book, send } = newIssuer();
  const events = [];
  for (let i = 0; i < 40; i++) {
    const card = testCards[i % testCards.length];
    assert.ok(card);
    const sale = saleRequest({ pan: card.pan, amountMinor: 1_000 + i });
    events.push(...send(sale).events);
    if (i % 3 === 0) events.push(...send(reversalOf(sale, freshStan())).events);
  }
  const replayed = new IssuerBook();
  for (const event of JSON.parse(JSON.stringify(events))) replayed.apply(event);
  assert.deepEqual(viewLedger(replayed, 1000), viewLedger(book, 1000));
});

test('the books stay bounded: the oldest records are forgotten beyond recordsMax', () => {
  const book = new IssuerBook({ recordsMax: 5 });
  const random = new SeededRandom(1);
  for (let i = 0; i < 12; i++) {
    for (const event of decideIssuerResponse(book, saleRequest({ pan: healthyDebit, amountMinor: 100 }), { nowMs, random }).events) book.apply(event);
  }
  assert.equal(book.records.size, 5);
  assert.equal(book.recordsEvicted, 7);
  assert.equal(book.account('icbc-debit-ok').availableMinor, 10_000_000 - 1_200, 'money stays right after eviction');
});

test('transaction set: completion turns the named hold into a charge, cancel releases it, a void or completion void gives the charge back, card-less follow-ups use the original card, balance inquiry moves nothing', () => {
  const { book, send } = newIssuer();
  const start = available(book, healthyDebit);
  const withoutCard = (request: IsoMessage): IsoMessage => {
    const fields = { ...request.fields };
    delete fields[2];
    delete fields[14];
    return { mti: request.mti, fields };
  };
  const hold = saleRequest({ pan: healthyDebit, amountMinor: 10_000, mti: '0100', processingCode: '030000' });
  assert.equal(code(send(hold)), '00');
  const completion = withoutCard(saleRequest({ pan: healthyDebit, amountMinor: 11_000, original: originalDataOf(hold) }));
  completion.fields[25] = '06';
  assert.equal(code(send(completion)), '00');
  assert.equal(available(book, healthyDebit), start - 11_000, 'the hold is released and the completion charged');
  const again = withoutCard(saleRequest({ pan: healthyDebit, amountMinor: 1_000, original: originalDataOf(hold) }));
  again.fields[25] = '06';
  assert.equal(code(send(again)), '12', 'a released hold cannot be completed twice');
  const completionVoid = withoutCard(saleRequest({ pan: healthyDebit, amountMinor: 11_000, processingCode: '200000', original: originalDataOf(completion) }));
  completionVoid.fields[25] = '06';
  assert.equal(code(send(completionVoid)), '00');
  assert.equal(available(book, healthyDebit), start);

  const secondHold = saleRequest({ pan: healthyDebit, amountMinor: 5_000, mti: '0100', processingCode: '030000' });
  send(secondHold);
  const cancel = withoutCard(saleRequest({ pan: healthyDebit, amountMinor: 5_000, mti: '0100', processingCode: '200000', original: originalDataOf(secondHold) }));
  cancel.fields[25] = '06';
  const cancelled = send(cancel);
  assert.equal(cancelled.response?.mti, '0110');
  assert.equal(code(cancelled), '00');
  assert.equal(available(book, healthyDebit), start);
  assert.equal(code(send(reversalOf(cancel, freshStan()))), '00', 'a reversal of a cancel completes');

  const sale = saleRequest({ pan: healthyDebit, amountMinor: 2_000 });
  send(sale);
  const voidRequest = withoutCard(saleRequest({ pan: healthyDebit, amountMinor: 2_000, processingCode: '200000', original: originalDataOf(sale) }));
  assert.equal(code(send(voidRequest)), '00');
  assert.equal(available(book, healthyDebit), start);
  assert.equal(code(send(withoutCard(saleRequest({ pan: healthyDebit, amountMinor: 2_000, processingCode: '200000', original: '0200999999112521300000012345678' + '00000000000' })))), '30', 'no card and an unknown original');

  const balance = send(saleRequest({ pan: healthyDebit, amountMinor: 0, processingCode: '310000' }));
  assert.equal(code(balance), '00');
  assert.equal(balance.response?.fields[54], `1002156C${String(start).padStart(12, '0')}`);
  assert.equal(available(book, healthyDebit), start);
});
