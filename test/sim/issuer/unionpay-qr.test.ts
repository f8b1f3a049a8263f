// Goal: the issuer simulator recognises a UnionPay QR sale (DE 22 03x, a 62-code in DE 2) and answers
// its magic codes: approved, insufficient funds, expired code, no reply (nothing charged) and reply lost
// (charged), a QR sale is reversed like a card's, and a code pays once (a second sale on it is refused,
// even after the first was reversed). Method: requests built by the engine's own
// builder, through the pure rules and the fault plan, events applied to the books as the server does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { buildUpstreamUnionPayQrSale } from '../../../src/core/payments/unionpay-qr-request.ts';
import { decideIssuerResponse } from '../../../src/sim/issuer/decide-issuer-response.ts';
import { decideFault, isProcessedBeforeFault, noFaults } from '../../../src/sim/issuer/fault-plan.ts';
import { IssuerBook } from '../../../src/sim/issuer/issuer-book.ts';
import { findTestCard } from '../../../src/sim/issuer/test-cards.ts';
import { freshStan, reversalOf } from './issuer-requests.ts';

const nowMs = Date.UTC(2026, 11, 6, 3, 0, 0);

function qrSale(code: string, amountMinor = 1_000, dialect: 'iso87-ascii' | 'cups-pos' = 'iso87-ascii'): IsoMessage {
  return buildUpstreamUnionPayQrSale(
    { amountMinor, currency: 'CNY', qrCode: code, merchant: { id: 'M00000000000001', name: 'Lotus', mcc: '5411' }, upstreamTerminalId: 'T0000001', acquirerId: '12345678', stan: freshStan(), nowMs },
    dialect,
  );
}

function run(book: IssuerBook, request: IsoMessage, random = new SeededRandom(3)): { code: string | undefined; fault: string | null; charged: boolean } {
  const fault = decideFault(request, noFaults, random);
  if (!isProcessedBeforeFault(fault)) return { code: undefined, fault, charged: false };
  const decision = decideIssuerResponse(book, request, { nowMs, random });
  for (const event of decision.events) book.apply(event);
  const charged = decision.events.some((event) => event.type === 'answered' && event.money !== null);
  return { code: fault === null ? (decision.response?.fields[39] as string | undefined) : undefined, fault, charged };
}

test('magic UnionPay QR codes answer approved, insufficient funds and expired code', () => {
  const book = new IssuerBook();
  const before = book.account('unionpay-qr-ok').availableMinor;
  assert.deepEqual(run(book, qrSale('6212345678901234500')), { code: '00', fault: null, charged: true });
  assert.equal(book.account('unionpay-qr-ok').availableMinor, before - 1_000);
  assert.deepEqual(run(book, qrSale('6212345678901234551')), { code: '51', fault: null, charged: false });
  assert.deepEqual(run(book, qrSale('6212345678901234554')), { code: '54', fault: null, charged: false });
  // Through the cups-pos layout too (the issuer reads DE 2 and DE 22 the same); a fresh code, since the first is spent.
  assert.equal(run(book, qrSale('6212345678901234600', 1_000, 'cups-pos')).code, '00');
});

test('no reply charges nothing; reply lost charges, and the reversal credits it back', () => {
  const book = new IssuerBook();
  const before = book.account('unionpay-qr-ok').availableMinor;
  assert.deepEqual(run(book, qrSale('6212345678901234591')), { code: undefined, fault: 'no_reply', charged: false });
  assert.equal(book.account('unionpay-qr-ok').availableMinor, before);
  const lost = qrSale('6212345678901234592', 2_500);
  assert.deepEqual(run(book, lost), { code: undefined, fault: 'reply_lost', charged: true });
  assert.equal(book.account('unionpay-qr-ok').availableMinor, before - 2_500);
  const reversal = decideIssuerResponse(book, reversalOf(lost, freshStan()), { nowMs, random: new SeededRandom(4) });
  for (const event of reversal.events) book.apply(event);
  assert.equal(reversal.response?.fields[39], '00');
  assert.equal(book.account('unionpay-qr-ok').availableMinor, before);
});

test('a card number read as a card is still a card; the same digits read as a QR code are not', () => {
  const book = new IssuerBook();
  const card = findTestCard('6222020000000000018');
  assert.ok(card);
  const cardBefore = book.account(card.id).availableMinor;
  // The test card's digits with QR entry: charged to the QR wallet, never to the card.
  assert.equal(run(book, qrSale('6222020000000000018')).code, '00');
  assert.equal(book.account(card.id).availableMinor, cardBefore);
});

test('a code pays once: a second sale on it is refused 54 and moves nothing, even after the first was reversed', () => {
  const book = new IssuerBook();
  const before = book.account('unionpay-qr-ok').availableMinor;
  const first = qrSale('6212345678901239900', 3_000);
  assert.deepEqual(run(book, first), { code: '00', fault: null, charged: true });
  // The same request again (same key) is a duplicate: the original answer, nothing moved.
  assert.deepEqual(run(book, first), { code: '00', fault: null, charged: false });
  // Another sale on the same code (a new STAN), for the same or another amount: the code is spent.
  assert.deepEqual(run(book, qrSale('6212345678901239900', 3_000)), { code: '54', fault: null, charged: false });
  const reversal = decideIssuerResponse(book, reversalOf(first, freshStan()), { nowMs, random: new SeededRandom(5) });
  for (const event of reversal.events) book.apply(event);
  assert.equal(book.account('unionpay-qr-ok').availableMinor, before);
  assert.deepEqual(run(book, qrSale('6212345678901239900', 3_001)), { code: '54', fault: null, charged: false });
  assert.equal(book.account('unionpay-qr-ok').availableMinor, before);
  // A code the issuer never charged (no reply before processing, or declined) is not spent.
  assert.equal(run(book, qrSale('6212345678901239991')).fault, 'no_reply');
  assert.equal(book.spentQrCodes.size, 1);
});

test('the books keep spent codes as fingerprints only, and rebuild them from the events', () => {
  const book = new IssuerBook();
  const events: Parameters<IssuerBook['apply']>[0][] = [];
  const decision = decideIssuerResponse(book, qrSale('6212345678901238800', 4_000), { nowMs, random: new SeededRandom(6) });
  for (const event of decision.events) {
    book.apply(event);
    events.push(event);
  }
  assert.ok(!JSON.stringify(events).includes('6212345678901238800'), 'no event holds the full code');
  const replayed = new IssuerBook();
  for (const event of JSON.parse(JSON.stringify(events)) as typeof events) replayed.apply(event);
  assert.deepEqual([...replayed.spentQrCodes.keys()], [...book.spentQrCodes.keys()]);
  assert.equal(decideIssuerResponse(replayed, qrSale('6212345678901238800', 4_000), { nowMs, random: new SeededRandom(7) }).response?.fields[39], '54');
});
