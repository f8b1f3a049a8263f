// Goal: a whole terminal message carries a MAC that the receiver can check over the bytes as sent,
// and any change to those bytes, a missing MAC or another key is noticed. Method: pack with a MAC,
// check it, then flip bytes, drop the MAC and swap the key, on both built-in dialects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getDialect, unpackMessage, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { checkMessageMac, isMacCheckedMti, isMacSignedAnswerMti, macFieldOf, packWithMac, resolveMacMode } from '../../../src/core/crypto/terminal-mac.ts';
import { cupsPosMac } from '../../../src/core/crypto/cups-pos-mac.ts';
import { ansiX919Mac } from '../../../src/core/crypto/retail-mac.ts';
import { packMessage } from '../../../src/core/iso8583/codec.ts';

const mak = Buffer.from('C24A8FB57AA20123FEDCBA9876543210', 'hex');
const otherMak = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
const cups = getDialect('cups-pos');
const iso87 = getDialect('iso87-ascii');

const cupsSale: IsoMessage = {
  mti: '0200',
  tpdu: Uint8Array.from([0x60, 0, 3, 0, 0]),
  header: '603100000000',
  fields: { 2: '6222020000000000018', 3: '000000', 4: '000000001000', 11: '000123', 22: '051', 25: '00', 41: 'T0000001', 42: '898110000000001', 49: '156', 60: { '1': '22', '2': '000001', '3': '000' } },
};

for (const algorithm of ['3des', 'sm4'] as const) {
  test(`cups-pos ${algorithm}: DE 64 holds the CUPS POS MAC of MTI..DE 63, checked ok; a flipped byte, another key, no MAC are caught`, () => {
    const bytes = packWithMac(cups, cupsSale, algorithm, mak);
    const message = unpackMessage(cups, bytes);
    const mac = message.fields[64] as Uint8Array;
    // TPDU (5) + header (6) come before the MTI; DE 64 is last, so the MAB is everything between.
    assert.deepEqual(Buffer.from(mac), cupsPosMac(algorithm, mak, bytes.subarray(11, bytes.length - 8)));
    assert.equal(checkMessageMac(cups, bytes, message, algorithm, mak), 'ok');
    assert.equal(checkMessageMac(cups, bytes, message, algorithm, otherMak), 'bad');
    const tampered = Buffer.from(bytes);
    tampered[30] = (tampered[30] as number) ^ 0x01;
    assert.equal(checkMessageMac(cups, tampered, unpackMessage(cups, tampered), algorithm, mak), 'bad');
    const plain = packMessage(cups, cupsSale);
    assert.equal(checkMessageMac(cups, plain, unpackMessage(cups, plain), algorithm, mak), 'missing');
  });
}

test('cups-pos: the TPDU and header are outside the MAC (a switch may rewrite them); DE 90 after DE 64 is inside', () => {
  const reversal: IsoMessage = { ...cupsSale, mti: '0400', fields: { ...cupsSale.fields, 39: '98', 90: `0200000123${'1205101010'}${'0'.repeat(22)}` } };
  const bytes = packWithMac(cups, reversal, '3des', mak);
  const message = unpackMessage(cups, bytes);
  assert.equal(macFieldOf(cups, message), 64);
  const otherHeader = Buffer.from(bytes);
  otherHeader[1] = 0x99;
  assert.equal(checkMessageMac(cups, otherHeader, unpackMessage(cups, otherHeader), '3des', mak), 'ok');
  const otherOriginal = Buffer.from(bytes);
  otherOriginal[otherOriginal.length - 5] = (otherOriginal[otherOriginal.length - 5] as number) ^ 0x11;
  assert.equal(checkMessageMac(cups, otherOriginal, unpackMessage(cups, otherOriginal), '3des', mak), 'bad');
});

test('iso87-ascii: X9.19 in DE 64 without a secondary bitmap, in DE 128 with one', () => {
  const sale: IsoMessage = { mti: '0200', fields: { 2: '4111111111111111', 3: '000000', 4: '000000001000', 7: '1205101010', 11: '000001', 41: 'T0000001', 42: '898110000000001', 49: '156' } };
  const bytes = packWithMac(iso87, sale, '3des', mak);
  const message = unpackMessage(iso87, bytes);
  assert.deepEqual(Buffer.from(message.fields[64] as Uint8Array), ansiX919Mac(mak, bytes.subarray(0, bytes.length - 8)));
  assert.equal(checkMessageMac(iso87, bytes, message, '3des', mak), 'ok');
  const reversal: IsoMessage = { mti: '0400', fields: { ...sale.fields, 90: `0200000001${'1205101010'}${'0'.repeat(22)}` } };
  const reversalBytes = packWithMac(iso87, reversal, '3des', mak);
  const unpacked = unpackMessage(iso87, reversalBytes);
  assert.equal(macFieldOf(iso87, unpacked), 128);
  assert.equal(unpacked.fields[64], undefined);
  assert.deepEqual(Buffer.from(unpacked.fields[128] as Uint8Array), ansiX919Mac(mak, reversalBytes.subarray(0, reversalBytes.length - 8)));
  assert.equal(checkMessageMac(iso87, reversalBytes, unpacked, 'sm4', mak), 'bad');
});

test('which messages are checked and signed; the default MAC mode is required outside development mode', () => {
  for (const mti of ['0200', '0100', '0220', '0221', '0400', '0401', '0500', '0320']) assert.ok(isMacCheckedMti(mti), mti);
  for (const mti of ['0800', '0820', '0210']) assert.ok(!isMacCheckedMti(mti), mti);
  for (const mti of ['0210', '0110', '0230', '0410', '0510', '0330']) assert.ok(isMacSignedAnswerMti(mti), mti);
  for (const mti of ['0810', '0200']) assert.ok(!isMacSignedAnswerMti(mti), mti);
  assert.equal(resolveMacMode(undefined, false), 'required');
  assert.equal(resolveMacMode(undefined, true), 'optional');
  assert.equal(resolveMacMode('off', false), 'off');
});
