// Goal: the QR catalogue loader accepts the documented shape, refuses bad entries naming their JSON path,
// and QR codes become the same diagnosis as card codes. Method: table rows over small documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseQrCode, findQrCode, parseQrCodeTable } from '../../../src/core/declines/qr-code-table.ts';
import { ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { authCodeProblem, maskAuthCode, methodOfAuthCode } from '../../../src/core/qr/auth-code.ts';
import { testQrCodeTables } from '../../support/qr-code-tables.ts';

const entry = {
  code: 'NOTENOUGH', meaning: 'Balance too low', meaningZh: '余额不足', category: 'insufficient_funds', party: 'cardholder', verdict: 'fix',
  waitSeconds: null, automaticRetry: false, tradeState: 'failed',
  advice: { cashier: { zh: '余额不足', en: 'Balance too low' }, customer: { zh: '余额不足', en: 'Balance too low' } }, source: 'test',
};
const doc = (codes: unknown[]) => ({ $comment: 'x', provider: 'wechatpay-v2', edition: 'e', codes });

function refusal(document: unknown): string {
  try {
    parseQrCodeTable(document, 'f.json');
  } catch (error) {
    assert.ok(error instanceof ReswipeError);
    assert.equal(error.code, 'RSW_DECLINE_DATA_INVALID');
    return String(error.field);
  }
  return 'accepted';
}

test('a valid catalogue loads and is looked up by code', () => {
  const table = parseQrCodeTable(doc([entry]), 'f.json');
  assert.equal(table.byCode.get('NOTENOUGH')?.category, 'insufficient_funds');
});

test('bad entries are refused naming the JSON path', () => {
  assert.equal(refusal({ ...doc([entry]), provider: 'paypal' }), '$.provider');
  assert.equal(refusal(doc([entry, entry])), '$.codes[1].code');
  assert.equal(refusal(doc([{ ...entry, code: 'not a code' }])), '$.codes[0].code');
  assert.equal(refusal(doc([{ ...entry, tradeState: 'paying' }])), '$.codes[0].verdict');
  assert.equal(refusal(doc([{ ...entry, category: 'weather' }])), '$.codes[0].category');
  assert.equal(refusal(doc([{ ...entry, advice: { ...entry.advice, customer: { zh: '欺诈', en: 'x' } } }])), '$.codes[0].advice.customer.zh');
});

test('a provider code becomes a diagnosis with its advice; an unknown code or none falls back to the outcome', () => {
  const tables = testQrCodeTables();
  const notEnough = diagnoseQrCode(tables, 'wechatpay-v2', 'NOTENOUGH', 'declined');
  assert.equal(notEnough.code, 'NOTENOUGH');
  assert.equal(notEnough.category, 'insufficient_funds');
  assert.equal(notEnough.verdict, 'fix');
  // USERPAYING in the catalogue waits; once the sale is over and cancelled the cashier may try again later.
  assert.equal(diagnoseQrCode(tables, 'wechatpay-v2', 'USERPAYING', 'reversed').verdict, 'later');
  assert.equal(diagnoseQrCode(tables, 'wechatpay-v2', null, 'unknown').verdict, 'wait');
  assert.equal(diagnoseQrCode(tables, 'alipay', 'NOTENOUGH', 'declined').code, 'NOTENOUGH');
  assert.equal(diagnoseQrCode(tables, 'alipay', 'NOTENOUGH', 'declined').category, 'other');
  assert.deepEqual(findQrCode(tables, 'acq.system_error').map((e) => e.provider), ['alipay']);
});

test('auth codes: the method from the prefix, the shape per method, the masked form', () => {
  assert.equal(methodOfAuthCode('134567890123456789'), 'wechat');
  assert.equal(methodOfAuthCode('2812345678901234'), 'alipay');
  assert.equal(methodOfAuthCode('6212345678901234567'), 'unionpay-qr');
  assert.equal(methodOfAuthCode('164567890123456789'), null);
  assert.equal(authCodeProblem('wechat', '13456789012345678'), 'must be 18 digits starting 10 to 15 (WeChat Pay)');
  assert.equal(authCodeProblem('alipay', '3112345678901234'), 'must be 16 to 24 digits starting 25 to 30 (Alipay)');
  assert.equal(authCodeProblem('alipay', '301234567890123456789012'), null);
  assert.equal(authCodeProblem('unionpay-qr', '6212345678901234567'), null);
  assert.equal(maskAuthCode('134567890123451234'), '1345**********1234');
});

test('one mask for every QR code: 12 characters or more show 4 + 4, a shorter one shows no digit at all', () => {
  assert.equal(maskAuthCode('2812345678901234'), '2812********1234');
  assert.equal(maskAuthCode('12345678901'), '***********');
});
