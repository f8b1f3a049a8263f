// Goal: a UnionPay QR sale is built in each built-in dialect's documented layout and survives its
// encoder. Method: build with a fixed clock, pack with iso87-ascii and cups-pos, unpack, and compare
// the fields that carry the code and its QR marker; bad codes and amounts are broken invariants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getDialect, packMessage, unpackMessage } from '../../../src/core/iso8583/index.ts';
import {
  buildUpstreamUnionPayQrSale,
  isUnionPayQrCode,
  isUnionPayQrSale,
  unionPayQrDialectOf,
  unionPayQrDialects,
  unionPayQrPosEntryMode,
  type UnionPayQrSaleInput,
} from '../../../src/core/payments/unionpay-qr-request.ts';
import { posEntryModeFor } from '../../../src/core/payments/upstream-request.ts';

const input: UnionPayQrSaleInput = {
  amountMinor: 1234,
  currency: 'CNY',
  qrCode: '6251234567890123456',
  merchant: { id: 'M00000000000001', name: '莲花超市 Lotus', mcc: '5411' },
  upstreamTerminalId: 'T0000001',
  acquirerId: '12345678',
  stan: '000042',
  nowMs: Date.UTC(2026, 11, 6, 3, 4, 5),
};

test('iso87-ascii: DE 2 is the code, DE 22 032, DE 48 QRC=C2B, no card-only fields', () => {
  const message = buildUpstreamUnionPayQrSale(input, 'iso87-ascii');
  const back = unpackMessage(getDialect('iso87-ascii'), packMessage(getDialect('iso87-ascii'), message));
  assert.equal(back.mti, '0200');
  assert.equal(back.fields[2], '6251234567890123456');
  assert.equal(back.fields[3], '000000');
  assert.equal(back.fields[4], '000000001234');
  assert.equal(back.fields[22], '032');
  assert.equal(back.fields[48], 'QRC=C2B');
  assert.equal(back.fields[49], '156');
  assert.equal(back.fields[7], '1206030405');
  assert.equal(back.fields[12], '110405');
  assert.equal((back.fields[43] as string).length, 40);
  for (const cardOnly of [14, 35, 52, 55]) assert.equal(back.fields[cardOnly], undefined, `DE ${cardOnly}`);
  assert.equal(isUnionPayQrSale(back), true);
});

test('cups-pos: DE 2 is the code (BCD), DE 22 032, DE 60 type code 22 and batch, no DE 43/48', () => {
  const message = buildUpstreamUnionPayQrSale({ ...input, batchNumber: '000123' }, 'cups-pos');
  const back = unpackMessage(getDialect('cups-pos'), packMessage(getDialect('cups-pos'), message));
  assert.equal(back.fields[2], '6251234567890123456');
  assert.equal(back.fields[22], '032');
  assert.deepEqual(back.fields[60], { '1': '22', '2': '000123' });
  assert.equal(back.fields[43], undefined);
  assert.equal(back.fields[48], undefined);
  assert.equal(isUnionPayQrSale(back), true);
});

test('both dialects carry the same code, amount, STAN and terminal', () => {
  for (const dialect of unionPayQrDialects) {
    const back = unpackMessage(getDialect(dialect), packMessage(getDialect(dialect), buildUpstreamUnionPayQrSale(input, dialect)));
    assert.deepEqual([back.fields[2], back.fields[4], back.fields[11], back.fields[41]], ['6251234567890123456', '000000001234', '000042', 'T0000001'], dialect);
  }
});

test('codes and amounts outside the rules are broken invariants; a card sale is not a QR sale', () => {
  assert.equal(isUnionPayQrCode('6251234567890123456'), true);
  for (const bad of ['625123456789012345', '62512345678901234567', '7251234567890123456', '62512345678901234x6']) {
    assert.equal(isUnionPayQrCode(bad), false, bad);
    assert.throws(() => buildUpstreamUnionPayQrSale({ ...input, qrCode: bad }, 'iso87-ascii'), /broken invariant/);
  }
  assert.throws(() => buildUpstreamUnionPayQrSale({ ...input, amountMinor: 0 }, 'iso87-ascii'), /broken invariant/);
  assert.throws(() => buildUpstreamUnionPayQrSale({ ...input, stan: '42' }, 'cups-pos'), /broken invariant/);
  assert.equal(isUnionPayQrSale({ mti: '0200', fields: { 2: '6251234567890123456', 22: '051' } }), false);
});

test('a channel carries UnionPay QR only in a dialect with a QR layout; the engine entry mode qr is DE 22 032', () => {
  const rows: Array<[dialect: string | undefined, layout: string | null]> = [
    ['iso87-ascii', 'iso87-ascii'],
    ['cups-pos', 'cups-pos'],
    [undefined, 'iso87-ascii'],
    ['dialects/acquirer-x.json', null],
  ];
  for (const [dialect, layout] of rows) assert.equal(unionPayQrDialectOf(dialect), layout, String(dialect));
  assert.equal(posEntryModeFor('qr'), unionPayQrPosEntryMode);
  assert.equal(unionPayQrPosEntryMode, '032');
});
