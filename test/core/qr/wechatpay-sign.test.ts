// Goal: the WeChat Pay v2 signature is the one WeChat publishes: the 签名算法 example of the v2 docs
// (appid wxd930ea5d5a258f4f, mch_id 10000100, device_info 1000, body test, nonce_str ibuaiVcKdpRxkhJA,
// key 192006250b4c09247ec02edce69f6a2d) signs to 9A0A8659F005D6984697E2CA0A9CF3B7 with MD5 and to
// 6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6 with HMAC-SHA256. Method: sign the
// published fields, check the string signed, and check verification refuses every change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyWechatSign, wechatSign, wechatSignString } from '../../../src/core/qr/wechatpay-sign.ts';

const key = '192006250b4c09247ec02edce69f6a2d';
const published = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };

test('the published example: the string signed is sorted k=v pairs and &key=', () => {
  assert.equal(wechatSignString(published, key), 'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d');
});

test('the published example signs to the published MD5 and HMAC-SHA256 values', () => {
  assert.equal(wechatSign(published, key, 'MD5'), '9A0A8659F005D6984697E2CA0A9CF3B7');
  assert.equal(wechatSign(published, key, 'HMAC-SHA256'), '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
});

test('empty values and sign itself are left out of the signed string', () => {
  const withExtras = { ...published, attach: '', sign: 'WHATEVER' };
  assert.equal(wechatSign(withExtras, key, 'MD5'), '9A0A8659F005D6984697E2CA0A9CF3B7');
});

test('ASCII order, not locale order: upper case before lower case, _ after letters', () => {
  assert.equal(wechatSignString({ b: '1', B: '2', a_b: '3', ab: '4' }, 'K'), 'B=2&a_b=3&ab=4&b=1&key=K');
});

test('verification accepts the right signature in either case and refuses any change', () => {
  assert.equal(verifyWechatSign({ ...published, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, key, 'MD5'), true);
  assert.equal(verifyWechatSign({ ...published, sign: '9a0a8659f005d6984697e2ca0a9cf3b7' }, key, 'MD5'), true);
  assert.equal(verifyWechatSign({ ...published, sign: '9A0A8659F005D6984697E2CA0A9CF3B8' }, key, 'MD5'), false);
  assert.equal(verifyWechatSign({ ...published, body: 'test2', sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, key, 'MD5'), false);
  assert.equal(verifyWechatSign({ ...published, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, `${key.slice(0, -1)}e`, 'MD5'), false);
  // The MD5 value is not an HMAC-SHA256 signature.
  assert.equal(verifyWechatSign({ ...published, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, key, 'HMAC-SHA256'), false);
  assert.equal(verifyWechatSign({ ...published, sign: '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6' }, key, 'HMAC-SHA256'), true);
  assert.equal(verifyWechatSign(published, key, 'MD5'), false, 'no sign at all');
  assert.equal(verifyWechatSign({ ...published, sign: '' }, key, 'MD5'), false);
});

test('values are signed as UTF-8 (a Chinese body)', () => {
  const fields = { appid: 'wx1', body: '测试商品', nonce_str: 'n' };
  const again = { nonce_str: 'n', body: '测试商品', appid: 'wx1' };
  assert.equal(wechatSign(fields, key, 'MD5'), wechatSign(again, key, 'MD5'));
  assert.notEqual(wechatSign(fields, key, 'MD5'), wechatSign({ ...fields, body: '测试商' }, key, 'MD5'));
});
