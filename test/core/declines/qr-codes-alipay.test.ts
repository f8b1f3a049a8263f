// Goal: Alipay's code catalogue is complete and well-formed data: every sub_code of the trade APIs the
// project names, every code the sandbox answers and the channel maps specially, in the shared
// vocabulary, with customer texts free of the words customers must not see. Method: read the JSON and
// check each row against the vocabulary, the forbidden-word rule and the lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { causeCategories, responsibleParties, retryVerdicts } from '../../../src/core/vocabulary.ts';
import { customerForbiddenWords } from '../../../src/core/declines/response-code-table.ts';
import { meaningOfPayAnswer } from '../../../src/core/qr/alipay-protocol.ts';

interface Row {
  code: string;
  meaning: string;
  meaningZh: string;
  category: string;
  party: string;
  verdict: string;
  waitSeconds: number | null;
  automaticRetry: boolean;
  tradeState: string;
  advice: { cashier: { zh: string; en: string }; customer: { zh: string; en: string } };
  source: string;
}

const document = JSON.parse(readFileSync(new URL('../../../src/core/declines/qr-codes-alipay.json', import.meta.url), 'utf8')) as { provider: string; edition: string; codes: Row[] };
const byCode = new Map(document.codes.map((row) => [row.code, row]));

test('every row is complete and in the shared vocabulary', () => {
  assert.equal(document.provider, 'alipay');
  assert.match(document.edition, /^[0-9]{4}-[0-9]{2}$/);
  assert.equal(byCode.size, document.codes.length, 'codes are unique');
  for (const row of document.codes) {
    assert.ok((causeCategories as readonly string[]).includes(row.category), `${row.code} category ${row.category}`);
    assert.ok((responsibleParties as readonly string[]).includes(row.party), `${row.code} party`);
    assert.ok((retryVerdicts as readonly string[]).includes(row.verdict), `${row.code} verdict`);
    assert.ok(['paid', 'paying', 'failed', 'unknown'].includes(row.tradeState), `${row.code} tradeState`);
    for (const text of [row.meaning, row.meaningZh, row.source, row.advice.cashier.zh, row.advice.cashier.en, row.advice.customer.zh, row.advice.customer.en]) {
      assert.ok(typeof text === 'string' && text.trim().length > 0, `${row.code} has every text`);
    }
    assert.doesNotMatch(row.advice.customer.zh, customerForbiddenWords, row.code);
    assert.doesNotMatch(row.advice.customer.en, customerForbiddenWords, row.code);
    if (row.verdict === 'fix' || row.verdict === 'never' || row.verdict === 'wait') assert.equal(row.automaticRetry, false, `${row.code} is never retried automatically`);
    // A code that leaves the trade paying or unknown is no refusal: it waits for the query, and only it does.
    assert.equal(row.tradeState === 'paying' || row.tradeState === 'unknown', row.verdict === 'wait', `${row.code}: verdict wait iff paying or unknown`);
    assert.equal(row.category === 'approved', row.verdict === 'none', `${row.code}: verdict none iff approved`);
    if (row.verdict === 'wait' || row.verdict === 'later') assert.ok(typeof row.waitSeconds === 'number' && row.waitSeconds > 0, `${row.code} waitSeconds`);
    else assert.equal(row.waitSeconds, null, `${row.code} waitSeconds`);
  }
});

test('the trade APIs\' sub_codes named by the project are all there', () => {
  const named = `SYSTEM_ERROR INVALID_PARAMETER ACCESS_FORBIDDEN EXIST_FORBIDDEN_WORD PARTNER_ERROR TOTAL_FEE_EXCEED PAYMENT_AUTH_CODE_INVALID
    CONTEXT_INCONSISTENT TRADE_HAS_SUCCESS TRADE_HAS_CLOSE BUYER_BALANCE_NOT_ENOUGH BUYER_BANKCARD_BALANCE_NOT_ENOUGH ERROR_BALANCE_PAYMENT_DISABLE
    BUYER_SELLER_EQUAL TRADE_BUYER_NOT_MATCH BUYER_ENABLE_STATUS_FORBID PULL_MOBILE_CASHIER_FAIL MOBILE_PAYMENT_SWITCH_OFF PAYMENT_FAIL
    BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR BEYOND_PAY_RESTRICTION BEYOND_PER_RECEIPT_RESTRICTION BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR SELLER_BEEN_BLOCKED
    ERROR_BUYER_CERTIFY_LEVEL_LIMIT PAYMENT_REQUEST_HAS_RISK NO_PAYMENT_INSTRUMENTS_AVAILABLE USER_FACE_PAYMENT_SWITCH_OFF INVALID_STORE_ID
    SUB_MERCHANT_CREATE_FAIL SUB_MERCHANT_TYPE_INVALID AGREEMENT_NOT_EXIST AGREEMENT_INVALID AGREEMENT_STATUS_NOT_NORMAL MERCHANT_AGREEMENT_NOT_EXIST
    MERCHANT_AGREEMENT_INVALID MERCHANT_STATUS_NOT_NORMAL CARD_USER_NOT_MATCH CARD_TYPE_ERROR CERT_EXPIRED AMOUNT_OR_CURRENCY_ERROR CURRENCY_NOT_SUPPORT
    MERCHANT_UNSUPPORT_ADVANCE SECONDARY_MERCHANT_STATUS_ERROR TRADE_NOT_EXIST SELLER_BALANCE_NOT_ENOUGH REASON_TRADE_BEEN_FREEZEN
    REFUND_AMT_NOT_EQUAL_TOTAL TRADE_STATUS_ERROR DISCORDANT_REPEAT_REQUEST REASON_TRADE_REFUND_FEE_ERR TRADE_NOT_ALLOWED_REFUND REFUND_FEE_ERROR`
    .split(/\s+/)
    .filter((name) => name.length > 0)
    .map((name) => `ACQ.${name}`);
  assert.deepEqual(named.filter((code) => !byCode.has(code)), []);
});

test('every code the sandbox answers is explained', () => {
  const sandboxSource = readFileSync(new URL('../../../src/sim/qr/alipay-sandbox.ts', import.meta.url), 'utf8');
  const answered = new Set([...sandboxSource.matchAll(/'((?:ACQ|isv|aop|isp)\.[A-Za-z_.-]+)'/g)].map((match) => match[1] as string));
  assert.ok(answered.size >= 8);
  assert.deepEqual([...answered].filter((code) => !byCode.has(code)), []);
  for (const code of ['10003', '20000']) assert.ok(byCode.has(code), code);
});

test('the catalogue\'s trade state agrees with what the channel makes of a pay answer with that code', () => {
  const payCodes = ['ACQ.SYSTEM_ERROR', 'ACQ.PAYMENT_AUTH_CODE_INVALID', 'ACQ.BUYER_BALANCE_NOT_ENOUGH', 'ACQ.TRADE_HAS_SUCCESS', 'ACQ.PAYMENT_REQUEST_HAS_RISK', 'ACQ.TOTAL_FEE_EXCEED'];
  for (const code of payCodes) {
    const state = meaningOfPayAnswer({ code: '40004', sub_code: code }).state;
    assert.equal(byCode.get(code)?.tradeState, state, code);
  }
  assert.equal(byCode.get('10003')?.tradeState, meaningOfPayAnswer({ code: '10003' }).state);
  assert.equal(byCode.get('20000')?.tradeState, meaningOfPayAnswer({ code: '20000' }).state);
});
