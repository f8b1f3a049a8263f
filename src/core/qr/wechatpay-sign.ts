// WeChat Pay API v2 signatures (签名算法): the fields sorted by name in ASCII order, empty values and
// `sign` left out, joined as `k1=v1&k2=v2...`, then `&key=KEY` appended; the signature is the
// uppercase hex of MD5 of that string, or of HMAC-SHA256 keyed with KEY over it. Used by the channel
// adapter (src/adapters/qr-channels/) and by the sandbox (src/sim/qr/), so both sides sign alike.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const wechatSignTypes = ['MD5', 'HMAC-SHA256'] as const;
export type WechatSignType = (typeof wechatSignTypes)[number];

/** The string that is hashed: sorted `k=v` pairs without empties and `sign`, then `&key=KEY`. */
export function wechatSignString(fields: Readonly<Record<string, string>>, key: string): string {
  const names = Object.keys(fields)
    .filter((name) => name !== 'sign' && fields[name] !== '')
    // ASCII order (字典序): compare code units, never the locale.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const pairs = names.map((name) => `${name}=${fields[name]}`);
  pairs.push(`key=${key}`);
  return pairs.join('&');
}

/** The `sign` value of these fields: uppercase hex MD5 or HMAC-SHA256. */
export function wechatSign(fields: Readonly<Record<string, string>>, key: string, signType: WechatSignType): string {
  const text = wechatSignString(fields, key);
  const digest = signType === 'MD5' ? createHash('md5').update(text, 'utf8').digest('hex') : createHmac('sha256', key).update(text, 'utf8').digest('hex');
  return digest.toUpperCase();
}

/** True when `fields.sign` is the signature of the other fields under `key` (compared in constant time). */
export function verifyWechatSign(fields: Readonly<Record<string, string>>, key: string, signType: WechatSignType): boolean {
  const given = fields.sign;
  if (given === undefined || given === '') return false;
  const expected = wechatSign(fields, key, signType);
  const givenBytes = Buffer.from(given.toUpperCase(), 'utf8');
  const expectedBytes = Buffer.from(expected, 'utf8');
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}
