// Goal: a 0200 sale with DE 22 `03x` is read as a QR sale with its code and method (docs/terminal-link.md#qr-sales):
// iso87-ascii DE 48 tag QRC=, cups-pos numeric DE 48, DE 2 for UnionPay QR; the method by the code's
// prefix; no code or a code of no method refused 14 naming DE 48; the DE 39 a QR diagnosis maps to.
// Method: the parser and the pure mapping alone, over hand-built messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IsoFieldValue } from '../../../src/core/iso8583/index.ts';
import { parseTerminalRequest, type TerminalParseContext } from '../../../src/adapters/terminal-link/parse-terminal-request.ts';
import { terminalResponseCodeOfQr } from '../../../src/core/qr/qr-terminal-response-code.ts';
import { describeMessage } from '../../../src/core/iso8583/index.ts';

const iso87: TerminalParseContext = { dialectName: 'iso87-ascii', localDateMmdd: () => '1206' };
const cups: TerminalParseContext = { dialectName: 'cups-pos', localDateMmdd: () => '1206' };
const wechatCode = '134567890123451234';
const alipayCode = '2845678901234567890';
const unionPayQrCode = '6212345678901234567';

function parse(fields: Record<number, IsoFieldValue>, context = iso87) {
  const parsed = parseTerminalRequest({ mti: '0200', fields: { 3: '000000', 4: '000000001000', 7: '1206101500', 11: '000123', 22: '031', 41: 'TERM0001', 42: '898110053110001', 49: '156', ...fields } }, context);
  assert.ok(parsed !== null);
  return parsed;
}

test('the code and its method from iso87-ascii DE 48 QRC=, cups-pos DE 48 digits, and DE 2', () => {
  const ascii = parse({ 48: `CVV2=123;QRC=${wechatCode}` });
  assert.equal(ascii.kind, 'qr_sale');
  assert.ok(ascii.kind === 'qr_sale' && ascii.authCode === wechatCode && ascii.method === 'wechat' && ascii.stan === '000123' && ascii.transmittedAt === '1206101500' && ascii.amountMinor === 1000);
  const numeric = parse({ 48: alipayCode }, cups);
  assert.ok(numeric.kind === 'qr_sale' && numeric.authCode === alipayCode && numeric.method === 'alipay');
  const de2 = parse({ 2: unionPayQrCode });
  assert.ok(de2.kind === 'qr_sale' && de2.authCode === unionPayQrCode && de2.method === 'unionpay-qr');
});

test('a card entry mode is still a card sale, even with digits in DE 48', () => {
  const card = parse({ 2: '6222020000000000018', 22: '051' });
  assert.equal(card.kind, 'sale');
});

test('QR entry without a code, or with a code of no method, is refused 14 naming DE 48; a bad amount 13', () => {
  const cases: Array<Record<number, IsoFieldValue>> = [{}, { 48: 'QRC=99000000000000000' }, { 48: 'QRC=13456789012345678x' }, { 48: '1'.repeat(30) }];
  for (const fields of cases) {
    const refused = parse(fields);
    assert.ok(refused.kind === 'refused' && refused.responseCode === '14' && refused.field === 48, JSON.stringify(fields));
  }
  const noAmount = parse({ 48: `QRC=${wechatCode}`, 4: '000000000000' });
  assert.ok(noAmount.kind === 'refused' && noAmount.responseCode === '13');
});

test('describeMessage hides the QRC tag', () => {
  const described = describeMessage({ mti: '0200', fields: { 48: `QRC=${wechatCode}` } });
  assert.ok(!JSON.stringify(described).includes(wechatCode.slice(4, 14)));
});

test('DE 39 of a QR diagnosis: own codes as they are, provider codes by outcome and category', () => {
  assert.equal(terminalResponseCodeOfQr({ code: '00', outcome: 'approved', category: 'approved' }), '00');
  assert.equal(terminalResponseCodeOfQr({ code: '98', outcome: 'reversed', category: 'network' }), '98');
  assert.equal(terminalResponseCodeOfQr({ code: 'NOTENOUGH', outcome: 'declined', category: 'insufficient_funds' }), '51');
  assert.equal(terminalResponseCodeOfQr({ code: 'AUTHCODEEXPIRE', outcome: 'declined', category: 'card_data' }), '14');
  assert.equal(terminalResponseCodeOfQr({ code: 'SYSTEMERROR', outcome: 'unknown', category: 'issuer_unavailable' }), '98');
  assert.equal(terminalResponseCodeOfQr({ code: 'ACQ.SYSTEM_ERROR', outcome: 'not_sent', category: 'format_system' }), '96');
});
