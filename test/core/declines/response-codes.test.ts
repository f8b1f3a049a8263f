// Goal: every code in the catalogue classifies as specified and the loader refuses bad data. Method: one table row per code (category, verdict, wait, automatic retry, party), plus invariants over all rows and broken documents fed to the validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyResponseCode, approvedDiagnosis, terminalVerdictText } from '../../../src/core/declines/index.ts';
import { customerForbiddenWords, parseResponseCodeTable, responseCodeTable } from '../../../src/core/declines/response-code-table.ts';
import responseCodesJson from '../../../src/core/declines/response-codes.json' with { type: 'json' };
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

// code, category, verdict, waitSeconds, automaticRetry, party
const rows: Array<[string, string, string, number | null, boolean, string]> = [
  ['00', 'approved', 'none', null, false, 'issuer'],
  ['01', 'referral', 'fix', null, false, 'cardholder'],
  ['02', 'referral', 'fix', null, false, 'cardholder'],
  ['03', 'merchant_permission', 'never', null, false, 'merchant'],
  ['04', 'card_status', 'never', null, false, 'issuer'],
  ['05', 'card_status', 'fix', null, false, 'cardholder'],
  ['06', 'issuer_unavailable', 'later', 300, true, 'issuer'],
  ['07', 'fraud_risk', 'never', null, false, 'issuer'],
  ['08', 'approved', 'none', null, false, 'issuer'],
  ['09', 'duplicate', 'later', 30, false, 'gateway'],
  ['10', 'approved', 'none', null, false, 'issuer'],
  ['11', 'approved', 'none', null, false, 'issuer'],
  ['12', 'merchant_permission', 'never', null, false, 'issuer'],
  ['13', 'limits', 'fix', null, false, 'merchant'],
  ['14', 'card_data', 'fix', null, false, 'cardholder'],
  ['15', 'merchant_permission', 'never', null, false, 'scheme'],
  ['16', 'approved', 'none', null, false, 'issuer'],
  ['17', 'other', 'never', null, false, 'cardholder'],
  ['18', 'other', 'never', null, false, 'merchant'],
  ['19', 'card_data', 'now', null, false, 'cardholder'],
  ['20', 'format_system', 'later', 300, false, 'channel'],
  ['21', 'card_status', 'fix', null, false, 'cardholder'],
  ['22', 'format_system', 'fix', null, false, 'terminal'],
  ['23', 'merchant_permission', 'never', null, false, 'merchant'],
  ['24', 'format_system', 'never', null, false, 'channel'],
  ['25', 'original_txn', 'never', null, false, 'merchant'],
  ['26', 'duplicate', 'never', null, false, 'gateway'],
  ['27', 'format_system', 'never', null, false, 'channel'],
  ['28', 'issuer_unavailable', 'later', 600, true, 'issuer'],
  ['29', 'format_system', 'later', 600, false, 'channel'],
  ['30', 'format_system', 'fix', null, false, 'terminal'],
  ['31', 'merchant_permission', 'never', null, false, 'channel'],
  ['32', 'other', 'never', null, false, 'merchant'],
  ['33', 'card_status', 'never', null, false, 'cardholder'],
  ['34', 'fraud_risk', 'never', null, false, 'issuer'],
  ['35', 'fraud_risk', 'never', null, false, 'issuer'],
  ['36', 'card_status', 'never', null, false, 'cardholder'],
  ['37', 'fraud_risk', 'never', null, false, 'issuer'],
  ['38', 'pin', 'fix', null, false, 'cardholder'],
  ['39', 'card_data', 'fix', null, false, 'cardholder'],
  ['40', 'merchant_permission', 'never', null, false, 'merchant'],
  ['41', 'card_status', 'never', null, false, 'issuer'],
  ['42', 'card_data', 'fix', null, false, 'cardholder'],
  ['43', 'card_status', 'never', null, false, 'issuer'],
  ['44', 'card_data', 'fix', null, false, 'cardholder'],
  ['45', 'card_data', 'now', null, false, 'cardholder'],
  ['46', 'card_status', 'never', null, false, 'cardholder'],
  ['47', 'reserved', 'never', null, false, 'channel'],
  ['48', 'reserved', 'never', null, false, 'channel'],
  ['49', 'reserved', 'never', null, false, 'channel'],
  ['50', 'reserved', 'never', null, false, 'channel'],
  ['51', 'insufficient_funds', 'fix', null, false, 'cardholder'],
  ['52', 'card_data', 'fix', null, false, 'cardholder'],
  ['53', 'card_data', 'fix', null, false, 'cardholder'],
  ['54', 'card_status', 'never', null, false, 'cardholder'],
  ['55', 'pin', 'now', null, false, 'cardholder'],
  ['56', 'card_data', 'never', null, false, 'cardholder'],
  ['57', 'card_status', 'never', null, false, 'cardholder'],
  ['58', 'merchant_permission', 'never', null, false, 'merchant'],
  ['59', 'fraud_risk', 'fix', null, false, 'issuer'],
  ['60', 'merchant_permission', 'fix', null, false, 'merchant'],
  ['61', 'limits', 'fix', null, false, 'cardholder'],
  ['62', 'card_status', 'never', null, false, 'cardholder'],
  ['63', 'fraud_risk', 'never', null, false, 'issuer'],
  ['64', 'original_txn', 'never', null, false, 'merchant'],
  ['65', 'limits', 'later', 86400, false, 'cardholder'],
  ['66', 'fraud_risk', 'never', null, false, 'issuer'],
  ['67', 'fraud_risk', 'never', null, false, 'issuer'],
  ['68', 'network', 'later', 60, true, 'channel'],
  ['69', 'reserved', 'never', null, false, 'channel'],
  ['70', 'reserved', 'never', null, false, 'channel'],
  ['71', 'reserved', 'never', null, false, 'channel'],
  ['72', 'reserved', 'never', null, false, 'channel'],
  ['73', 'reserved', 'never', null, false, 'channel'],
  ['74', 'reserved', 'never', null, false, 'channel'],
  ['75', 'pin', 'fix', null, false, 'cardholder'],
  ['76', 'reserved', 'never', null, false, 'channel'],
  ['77', 'terminal_setup', 'fix', null, false, 'terminal'],
  ['78', 'card_status', 'never', null, false, 'cardholder'],
  ['79', 'card_status', 'never', null, false, 'cardholder'],
  ['80', 'reserved', 'never', null, false, 'channel'],
  ['81', 'pin', 'later', 60, false, 'terminal'],
  ['82', 'card_data', 'fix', null, false, 'cardholder'],
  ['83', 'fraud_risk', 'never', null, false, 'issuer'],
  ['84', 'original_txn', 'never', null, false, 'merchant'],
  ['85', 'approved', 'none', null, false, 'issuer'],
  ['86', 'pin', 'later', 600, false, 'issuer'],
  ['87', 'reserved', 'never', null, false, 'channel'],
  ['88', 'reserved', 'never', null, false, 'channel'],
  ['89', 'card_data', 'fix', null, false, 'cardholder'],
  ['90', 'issuer_unavailable', 'later', 600, true, 'scheme'],
  ['91', 'issuer_unavailable', 'later', 180, true, 'issuer'],
  ['92', 'issuer_unavailable', 'later', 300, true, 'channel'],
  ['93', 'fraud_risk', 'never', null, false, 'issuer'],
  ['94', 'duplicate', 'never', null, false, 'gateway'],
  ['95', 'format_system', 'fix', null, false, 'terminal'],
  ['96', 'format_system', 'later', 600, true, 'scheme'],
  ['97', 'terminal_setup', 'fix', null, false, 'terminal'],
  ['98', 'issuer_unavailable', 'later', 120, true, 'issuer'],
  ['99', 'terminal_setup', 'now', null, true, 'terminal'],
  ['A0', 'terminal_setup', 'now', null, true, 'terminal'],
  ['A1', 'format_system', 'never', null, false, 'channel'],
  ['A2', 'approved', 'none', null, false, 'issuer'],
  ['A3', 'card_data', 'never', null, false, 'cardholder'],
  ['A4', 'approved', 'none', null, false, 'issuer'],
  ['A5', 'approved', 'none', null, false, 'issuer'],
  ['A6', 'approved', 'none', null, false, 'issuer'],
  ['A7', 'format_system', 'later', 300, true, 'scheme'],
  ['N3', 'merchant_permission', 'later', 86400, false, 'issuer'],
  ['N4', 'limits', 'later', 86400, false, 'cardholder'],
  ['N7', 'card_data', 'fix', null, false, 'cardholder'],
  ['1A', 'pin', 'now', null, false, 'cardholder'],
  ['R0', 'card_status', 'never', null, false, 'cardholder'],
  ['R1', 'card_status', 'never', null, false, 'cardholder'],
  ['R3', 'card_status', 'never', null, false, 'cardholder'],
];

test('the table has one row per catalogue code, and the catalogue has every ISO code 00-99, CUPS A0-A7 and the Visa alphanumerics', () => {
  const expected = new Set(rows.map((row) => row[0]));
  assert.equal(expected.size, rows.length, 'no duplicate rows');
  assert.deepEqual([...responseCodeTable.byCode.keys()].sort(), [...expected].sort());
  for (let n = 0; n <= 99; n += 1) assert.ok(responseCodeTable.byCode.has(String(n).padStart(2, '0')), `ISO code ${n}`);
  for (const code of ['A0', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'N3', 'N4', 'N7', '1A', 'R0', 'R1', 'R3']) assert.ok(responseCodeTable.byCode.has(code), code);
});

for (const [code, category, verdict, waitSeconds, automaticRetry, party] of rows) {
  test(`code ${code} is ${category}, ${verdict}${waitSeconds === null ? '' : ` ${waitSeconds}s`}${automaticRetry ? ', auto-retry' : ''}, ${party}`, () => {
    const d = classifyResponseCode(code);
    assert.equal(d.code, code);
    assert.equal(d.category, category);
    assert.equal(d.verdict, verdict);
    assert.equal(d.waitSeconds, waitSeconds);
    assert.equal(d.automaticRetry, automaticRetry);
    assert.equal(d.party, party);
    assert.equal(d.outcome, category === 'approved' ? 'approved' : 'declined');
    assert.ok(d.advice.cashier.zh.length > 0 && d.advice.cashier.en.length > 0);
    assert.ok(d.advice.customer.zh.length > 0 && d.advice.customer.en.length > 0);
    assert.doesNotMatch(`${d.advice.customer.zh} ${d.advice.customer.en}`, customerForbiddenWords, 'customer text hides lost/stolen/fraud');
    assert.match(responseCodeTable.byCode.get(code)?.meaningZh ?? '', /[\u4e00-\u9fff]/, 'a Chinese meaning');
  });
}

test('lost, stolen and fraud codes tell the cashier but not the customer', () => {
  for (const code of ['04', '07', '34', '41', '43', '59', '63', '67', '83']) {
    const d = classifyResponseCode(code);
    assert.doesNotMatch(d.advice.customer.en, /lost|stolen|fraud|security/i, code);
    assert.doesNotMatch(d.advice.customer.zh, /挂失|被盗|欺诈|作弊|风险/, code);
  }
  assert.match(classifyResponseCode('41').advice.cashier.en, /lost/i);
});

test('codes are looked up case-insensitively; unknown codes are fix and never automatic', () => {
  assert.equal(classifyResponseCode('a0').code, 'A0');
  for (const code of ['ZZ', 'Q1', 'C1', '']) {
    const d = classifyResponseCode(code);
    assert.equal(d.verdict, 'fix', code);
    assert.equal(d.automaticRetry, false, code);
    assert.equal(d.category, 'other');
    assert.equal(terminalVerdictText(d), 'FIX');
  }
});

test('approvedDiagnosis is code 00 with verdict none', () => {
  const d = approvedDiagnosis();
  assert.equal(d.code, '00');
  assert.equal(d.verdict, 'none');
  assert.equal(d.outcome, 'approved');
  assert.equal(terminalVerdictText(d), 'NONE');
});

test('Visa categories follow the rule edition: 14 is category 3 in the 2021 lists and 1 in 2024; 03 the other way round', () => {
  assert.equal(responseCodeTable.byCode.get('14')?.visaCategory['2021'], 3);
  assert.equal(responseCodeTable.byCode.get('14')?.visaCategory['2024'], 1);
  assert.equal(responseCodeTable.byCode.get('03')?.visaCategory['2021'], 1);
  assert.equal(responseCodeTable.byCode.get('03')?.visaCategory['2024'], 4);
  assert.equal(responseCodeTable.byCode.get('51')?.visaCategory['2024'], 2);
  assert.equal(responseCodeTable.byCode.get('00')?.visaCategory['2024'], null);
});

test('the catalogue is frozen', () => {
  const entry = responseCodeTable.byCode.get('51');
  assert.ok(entry !== undefined && Object.isFrozen(entry) && Object.isFrozen(entry.advice.customer));
});

function broken(mutate: (doc: { codes: Array<Record<string, unknown>> } & Record<string, unknown>) => void): unknown {
  const doc = structuredClone(responseCodesJson) as unknown as { codes: Array<Record<string, unknown>> } & Record<string, unknown>;
  mutate(doc);
  return doc;
}

test('bad entries are refused with RSW_DECLINE_DATA_INVALID naming the path', () => {
  const cases: Array<[string, (doc: { codes: Array<Record<string, unknown>> }) => void, string]> = [
    ['bad verdict', (doc) => { (doc.codes[51] as Record<string, unknown>).verdict = 'maybe'; }, '$.codes[51].verdict'],
    ['later without wait', (doc) => { (doc.codes[91] as Record<string, unknown>).waitSeconds = null; }, '$.codes[91].waitSeconds'],
    ['duplicate code', (doc) => { (doc.codes[2] as Record<string, unknown>).code = '01'; }, '$.codes[2].code'],
    ['malformed code', (doc) => { (doc.codes[3] as Record<string, unknown>).code = '123'; }, '$.codes[3].code'],
    ['customer told of theft', (doc) => { ((doc.codes[43] as { advice: { customer: { en: string } } }).advice.customer).en = 'Your card was reported stolen.'; }, '$.codes[43].advice.customer.en'],
    ['never with automatic retry', (doc) => { (doc.codes[41] as Record<string, unknown>).automaticRetry = true; }, '$.codes[41].automaticRetry'],
    ['missing party', (doc) => { delete (doc.codes[5] as Record<string, unknown>).party; }, '$.codes[5].party'],
  ];
  for (const [name, mutate, path] of cases) {
    assert.throws(() => parseResponseCodeTable(broken(mutate), 'test.json'), (error: unknown) => {
      assert.ok(isReswipeError(error, 'RSW_DECLINE_DATA_INVALID'), name);
      assert.equal(error.field, path, name);
      assert.match(error.message, /test\.json/);
      return true;
    }, name);
  }
});
