// Goal: WeChat's error catalogue (src/core/declines/qr-codes-wechat.json) is complete and consistent:
// every err_code the brief and the v2 docs list for micropay, orderquery, reverse, refund and
// refundquery is there once; every field is in the vocabulary; a code that leaves the money paying or
// unknown says `wait`; customer texts never speak of fraud, loss or theft; every code the sandbox
// answers is explained; and the channel's mapping agrees with each row's trade state. Method: read the
// file as data and check it against the vocabulary, the sandbox's codes and the channel's reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { causeCategories, responsibleParties, retryVerdicts } from '../../../src/core/vocabulary.ts';
import { customerForbiddenWords } from '../../../src/core/declines/response-code-table.ts';
import { readMicropayAnswer } from '../../../src/core/qr/wechatpay-v2-answers.ts';
import { wechatMagicEntries } from '../../../src/sim/qr/wechatpay-magic-codes.ts';

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

const document = JSON.parse(readFileSync(new URL('../../../src/core/declines/qr-codes-wechat.json', import.meta.url), 'utf8')) as { provider: string; edition: string; codes: Row[] };
const byCode = new Map(document.codes.map((row) => [row.code, row]));

test('the file names its provider and edition, and no code appears twice', () => {
  assert.equal(document.provider, 'wechatpay-v2');
  assert.match(document.edition, /^\d{4}-\d{2}$/);
  assert.equal(byCode.size, document.codes.length);
});

test('every code the brief and the docs list is there', () => {
  const required = [
    'SYSTEMERROR', 'PARAM_ERROR', 'ORDERPAID', 'NOAUTH', 'AUTHCODEEXPIRE', 'NOTENOUGH', 'NOTSUPORTCARD', 'ORDERCLOSED', 'ORDERREVERSED', 'BANKERROR', 'USERPAYING',
    'AUTH_CODE_ERROR', 'AUTH_CODE_INVALID', 'XML_FORMAT_ERROR', 'REQUIRE_POST_METHOD', 'SIGNERROR', 'LACK_PARAMS', 'NOT_UTF8', 'BUYER_MISMATCH', 'APPID_NOT_EXIST',
    'MCHID_NOT_EXIST', 'OUT_TRADE_NO_USED', 'APPID_MCHID_NOT_MATCH', 'INVALID_REQUEST', 'TRADE_ERROR', 'ORDERNOTEXIST', 'REVERSE_EXPIRE', 'INVALID_TRANSACTIONID',
    'FREQUENCY_LIMITED', 'BIZERR_NEED_RETRY', 'TRADE_OVERDUE', 'ERROR', 'USER_ACCOUNT_ABNORMAL', 'INVALID_REQ_TOO_MUCH', 'REFUNDNOTEXIST',
  ];
  assert.deepEqual(required.filter((code) => !byCode.has(code)), []);
  // NOTENOUGH covers both calls that answer it.
  assert.match(byCode.get('NOTENOUGH')?.meaning ?? '', /micropay.*refund/i);
});

test('every row is in the vocabulary and obeys the rules of a QR catalogue', () => {
  for (const row of document.codes) {
    const where = row.code;
    assert.match(row.code, /^[A-Z][A-Z0-9_.]{1,63}$/, where);
    assert.ok((causeCategories as readonly string[]).includes(row.category), `${where} category`);
    assert.ok((responsibleParties as readonly string[]).includes(row.party), `${where} party`);
    assert.ok((retryVerdicts as readonly string[]).includes(row.verdict), `${where} verdict`);
    assert.ok(['paid', 'paying', 'failed', 'unknown'].includes(row.tradeState), `${where} tradeState`);
    assert.equal(row.tradeState === 'paying' || row.tradeState === 'unknown', row.verdict === 'wait', `${where}: wait if and only if the money is paying or unknown`);
    assert.equal(row.category === 'approved', row.verdict === 'none', `${where}: none only for approvals`);
    assert.ok(row.waitSeconds === null || (Number.isInteger(row.waitSeconds) && row.waitSeconds >= 1 && row.waitSeconds <= 86_400), `${where} waitSeconds`);
    if (row.verdict === 'later') assert.notEqual(row.waitSeconds, null, `${where}: later needs a wait`);
    if (row.automaticRetry) assert.ok(['now', 'later', 'wait'].includes(row.verdict), `${where}: automatic retry with verdict ${row.verdict}`);
    for (const text of [row.meaning, row.meaningZh, row.source, row.advice.cashier.zh, row.advice.cashier.en, row.advice.customer.zh, row.advice.customer.en]) {
      assert.ok(typeof text === 'string' && text.trim().length > 0 && text.length <= 400, `${where}: a text is empty or too long`);
    }
    assert.doesNotMatch(row.advice.customer.zh, customerForbiddenWords, where);
    assert.doesNotMatch(row.advice.customer.en, customerForbiddenWords, where);
    assert.match(row.advice.cashier.zh + row.advice.customer.zh, /[\u4e00-\u9fff]/, `${where}: the zh texts are Chinese`);
  }
});

test('every code the sandbox answers is explained', () => {
  const sandboxCodes = ['USERPAYING', 'SYSTEMERROR', 'BANKERROR', 'ORDERPAID', 'ORDERREVERSED', 'ORDERCLOSED', 'AUTH_CODE_INVALID', 'ORDERNOTEXIST', 'ERROR', 'TRADE_ERROR', 'TRADE_STATE_ERROR', 'REFUNDNOTEXIST', 'PARAM_ERROR', 'LACK_PARAMS', 'PAYERROR', 'REVOKED', 'CLOSED'];
  for (const entry of wechatMagicEntries) if (entry.behaviour.kind === 'refused') sandboxCodes.push(entry.behaviour.errCode);
  assert.deepEqual(sandboxCodes.filter((code) => !byCode.has(code)), []);
});

test('the channel reads each micropay err_code as its row says, bar the documented exceptions', () => {
  // ORDERPAID is paid money, yet the answer carries no facts: the channel says unknown so the engine queries for them.
  // ORDERCLOSED and ORDERREVERSED are the port's `closed`: nothing charged, as the rows' `failed` says.
  const portStateOf: Record<string, string> = { paid: 'paid', paying: 'paying', failed: 'failed', unknown: 'unknown' };
  const exceptions: Record<string, string> = { ORDERPAID: 'unknown', ORDERCLOSED: 'closed', ORDERREVERSED: 'closed' };
  const micropayCodes = ['SYSTEMERROR', 'BANKERROR', 'USERPAYING', 'ORDERPAID', 'OUT_TRADE_NO_USED', 'ORDERCLOSED', 'ORDERREVERSED', 'NOTENOUGH', 'AUTHCODEEXPIRE', 'NOTSUPORTCARD', 'AUTH_CODE_ERROR', 'AUTH_CODE_INVALID', 'BUYER_MISMATCH', 'NOAUTH', 'PARAM_ERROR', 'XML_FORMAT_ERROR', 'REQUIRE_POST_METHOD', 'SIGNERROR', 'LACK_PARAMS', 'NOT_UTF8', 'APPID_NOT_EXIST', 'MCHID_NOT_EXIST', 'APPID_MCHID_NOT_MATCH', 'INVALID_REQUEST', 'TRADE_ERROR'];
  for (const code of micropayCodes) {
    const reading = readMicropayAnswer({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: code }, 'T1');
    assert.ok(reading.ok, code);
    const row = byCode.get(code);
    assert.ok(row !== undefined, code);
    assert.equal(reading.value.state, exceptions[code] ?? portStateOf[row.tradeState], code);
  }
});
