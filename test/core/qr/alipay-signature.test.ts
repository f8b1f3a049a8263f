// Goal: Alipay's RSA2 is computed and checked exactly as the gateway does, and agrees with OpenSSL.
// Method: keys made at test time by openssl in every format Alipay exports; the sign content's rules
// on fixed parameters; our signature checked by `openssl dgst -verify` and openssl's signature checked
// by us (and equal to ours, PKCS#1 v1.5 being deterministic); answers verified over the raw text of the
// response object, including Chinese text, escaped characters and braces inside strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alipaySignContent,
  parseAlipayPrivateKey,
  parseAlipayPublicKey,
  readAlipayAnswer,
  signAlipayContent,
  signAlipayParams,
  verifyAlipaySignature,
} from '../../../src/core/qr/alipay-signature.ts';
import { makeRsaKeyFiles, openssl } from '../../support/alipay-test-keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-alipay-sig-'));
const keys = makeRsaKeyFiles(dir, 'merchant');
const other = makeRsaKeyFiles(dir, 'other');
const privateKey = parseAlipayPrivateKey(readFileSync(keys.privatePkcs8File, 'utf8'));
const publicKey = parseAlipayPublicKey(readFileSync(keys.publicFile, 'utf8'));

test('the sign content is sorted name=value joined by &, unencoded, without sign and empty values, with sign_type', () => {
  const content = alipaySignContent({
    timestamp: '2026-12-06 11:45:00',
    method: 'alipay.trade.pay',
    app_id: '2021000000000000',
    sign_type: 'RSA2',
    sign: 'ignored',
    notify_url: '',
    app_auth_token: undefined,
    biz_content: '{"subject":"咖啡 & 茶","total_amount":"12.34"}',
    charset: 'utf-8',
  });
  assert.equal(
    content,
    'app_id=2021000000000000&biz_content={"subject":"咖啡 & 茶","total_amount":"12.34"}&charset=utf-8&method=alipay.trade.pay&sign_type=RSA2&timestamp=2026-12-06 11:45:00',
  );
});

test('our RSA2 signature verifies with openssl, and openssl\'s signature verifies with us and equals ours', () => {
  const content = 'app_id=2021000000000000&biz_content={"subject":"测试商品","total_amount":"0.01"}&charset=utf-8&method=alipay.trade.pay&sign_type=RSA2&timestamp=2026-12-06 11:45:00&version=1.0';
  const contentFile = join(dir, 'content.txt');
  writeFileSync(contentFile, content, 'utf8');
  const ours = signAlipayContent(content, privateKey);
  const signatureFile = join(dir, 'ours.bin');
  writeFileSync(signatureFile, Buffer.from(ours, 'base64'));
  assert.match(openssl(['dgst', '-sha256', '-verify', keys.publicFile, '-signature', signatureFile, contentFile]).toString(), /Verified OK/);

  const theirs = openssl(['dgst', '-sha256', '-sign', keys.privatePkcs1File, contentFile]).toString('base64');
  assert.equal(verifyAlipaySignature(content, theirs, publicKey), true);
  assert.equal(theirs, ours);
  // Sanity: openssl refuses a signature over other content, and so do we.
  writeFileSync(contentFile, `${content}x`, 'utf8');
  assert.throws(() => openssl(['dgst', '-sha256', '-verify', keys.publicFile, '-signature', signatureFile, contentFile]));
  assert.equal(verifyAlipaySignature(`${content}x`, ours, publicKey), false);
});

test('every key format Alipay exports signs and verifies the same', () => {
  const content = 'a=1&b=二';
  const reference = signAlipayContent(content, privateKey);
  for (const file of [keys.privatePkcs1File, keys.privateBareFile]) {
    assert.equal(signAlipayContent(content, parseAlipayPrivateKey(readFileSync(file, 'utf8'))), reference, file);
  }
  const pkcs1Bare = readFileSync(keys.privatePkcs1File, 'utf8').split('\n').filter((line) => !line.startsWith('-----')).join('\n');
  assert.equal(signAlipayContent(content, parseAlipayPrivateKey(pkcs1Bare)), reference, 'bare PKCS#1 body');
  for (const file of [keys.publicFile, keys.publicPkcs1File, keys.publicBareFile]) {
    assert.equal(verifyAlipaySignature(content, reference, parseAlipayPublicKey(readFileSync(file, 'utf8'))), true, file);
  }
  assert.throws(() => parseAlipayPrivateKey('not a key!'));
  assert.throws(() => parseAlipayPublicKey('QUJD'));
});

test('a signature by another key, a truncated one or garbage does not verify and never throws', () => {
  const content = 'a=1';
  const signature = signAlipayContent(content, privateKey);
  const otherSignature = signAlipayContent(content, parseAlipayPrivateKey(readFileSync(other.privatePkcs8File, 'utf8')));
  assert.equal(verifyAlipaySignature(content, otherSignature, publicKey), false);
  assert.equal(verifyAlipaySignature(content, signature.slice(0, 40), publicKey), false);
  assert.equal(verifyAlipaySignature(content, '', publicKey), false);
  assert.equal(verifyAlipaySignature(content, '!!!', publicKey), false);
});

test('signAlipayParams adds a sign over the other parameters', () => {
  const signed = signAlipayParams({ app_id: '1', method: 'm', sign_type: 'RSA2' }, privateKey);
  assert.equal(verifyAlipaySignature('app_id=1&method=m&sign_type=RSA2', signed['sign'] as string, publicKey), true);
});

function answerBody(responseKey: string, responseText: string, tail = ''): string {
  const sign = signAlipayContent(responseText, privateKey);
  return `{"${responseKey}":${responseText},"sign":"${sign}"${tail}}`;
}

test('an answer is verified over the raw text of its response object: Chinese, escapes, braces in strings', () => {
  const rawTexts = [
    '{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","store_name":"证大五道口店"}',
    '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.PAYMENT_AUTH_CODE_INVALID","sub_msg":"\\u652f\\u4ed8\\u5931\\u8d25"}',
    '{"code":"10000","url":"http:\\/\\/example.com\\/a?b=c","quote":"say \\"hi\\" } ] {","fund_bill_list":[{"amount":"1.00","fund_channel":"ALIPAYACCOUNT"}]}',
  ];
  for (const raw of rawTexts) {
    const body = answerBody('alipay_trade_pay_response', raw);
    const answer = readAlipayAnswer(body, 'alipay_trade_pay_response');
    assert.ok(answer);
    assert.equal(answer.signedText, raw);
    assert.equal(verifyAlipaySignature(answer.signedText, answer.sign as string, publicKey), true, raw);
    // Re-serializing would change the signed bytes: the proof that the raw text is what counts.
    assert.deepEqual(answer.response, JSON.parse(raw));
  }
  assert.equal(verifyAlipaySignature(JSON.stringify(JSON.parse(rawTexts[2] as string)), signAlipayContent(rawTexts[2] as string, privateKey), publicKey), false);
});

test('whitespace around members, sign before the response, and an extra member do not move the signed text', () => {
  const raw = '{"code":"10000",\n  "msg":"Success"}';
  const sign = signAlipayContent(raw, privateKey);
  const body = `{ "sign" : "${sign}",\n "alipay_trade_query_response" :  ${raw} , "alipay_cert_sn":"abc"}`;
  const answer = readAlipayAnswer(body, 'alipay_trade_query_response');
  assert.ok(answer);
  assert.equal(answer.signedText, raw);
  assert.equal(verifyAlipaySignature(answer.signedText, answer.sign as string, publicKey), true);
});

test('a tampered answer does not verify; an unsigned one has no sign; a gateway error_response is read', () => {
  const raw = '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.BUYER_BALANCE_NOT_ENOUGH"}';
  const body = answerBody('alipay_trade_pay_response', raw).replace('BALANCE_NOT_ENOUGH', 'SYSTEM_ERROR_XXXXXX');
  const tampered = readAlipayAnswer(body, 'alipay_trade_pay_response');
  assert.ok(tampered);
  assert.equal(verifyAlipaySignature(tampered.signedText, tampered.sign as string, publicKey), false);

  const unsigned = readAlipayAnswer(`{"alipay_trade_pay_response":${raw}}`, 'alipay_trade_pay_response');
  assert.equal(unsigned?.sign, null);

  const gateway = readAlipayAnswer('{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}}', 'alipay_trade_pay_response');
  assert.equal(gateway?.responseKey, 'error_response');
  assert.equal(readAlipayAnswer('not json', 'x_response'), null);
  assert.equal(readAlipayAnswer('{"other_response":{}}', 'x_response'), null);
  assert.equal(readAlipayAnswer('[1]', 'x_response'), null);
});

test('property: for generated answers the signed text is exactly the response object as written', () => {
  // A fixed-seed generator: strings with quotes, backslashes, braces, slashes, Chinese and emoji.
  let state = 12345;
  const next = (limit: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % limit;
  };
  const alphabet = ['a', 'Z', '0', '"', '\\', '{', '}', '[', ']', ',', ':', '/', ' ', '支', '付', '宝', '😀', '\n', '\u0001'];
  const randomString = (): string => Array.from({ length: next(12) }, () => alphabet[next(alphabet.length)]).join('');
  const randomValue = (depth: number): unknown => {
    switch (next(depth > 2 ? 3 : 5)) {
      case 0:
        return randomString();
      case 1:
        return next(100000) / 100;
      case 2:
        return next(2) === 0;
      case 3:
        return Array.from({ length: next(3) }, () => randomValue(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: next(4) }, () => [randomString(), randomValue(depth + 1)]));
    }
  };
  const space = (): string => [' ', '', '\n  ', '\t'][next(4)] as string;
  for (let round = 0; round < 300; round += 1) {
    const response = { code: '10000', ...(randomValue(0) as object), msg: randomString() };
    let text = JSON.stringify(response, null, next(2) === 0 ? 0 : 2);
    if (next(2) === 0) text = text.replace(/\//g, '\\/');
    if (next(2) === 0) text = text.replace(/[\u4e00-\u9fff]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
    const extra = next(2) === 0 ? `,${space()}"alipay_cert_sn"${space()}:${space()}"${randomString().replace(/["\\\n\u0001]/g, '')}"` : '';
    const body = next(2) === 0 ? `{${space()}"alipay_trade_query_response"${space()}:${space()}${text}${extra},${space()}"sign":"c2ln"}` : `{"sign":"c2ln"${extra},"alipay_trade_query_response":${space()}${text}${space()}}`;
    const answer = readAlipayAnswer(body, 'alipay_trade_query_response');
    assert.ok(answer, body);
    assert.equal(answer.signedText, text, body);
    assert.deepEqual(answer.response, JSON.parse(text));
    assert.equal(answer.sign, 'c2ln');
  }
});
