// Alipay OpenAPI's RSA2 signatures (SHA256withRSA, base64), both ways:
// - a request is signed over its parameters sorted by name, written `name=value` and joined by `&`,
//   without URL encoding, leaving out `sign` itself and every empty value (`sign_type` IS signed, as
//   Alipay's own SDKs do for requests);
// - an answer `{"alipay_trade_pay_response":{...},"sign":"..."}` is signed over the exact text of the
//   `*_response` object as it arrived (never re-serialized: Alipay escapes `/` and may or may not escape
//   Chinese text, and re-serializing would change the bytes it signed).
// Pure: keys come in as text (files are read by the adapter); node:crypto only computes.
import { createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';

/** The text a request's signature covers. */
export function alipaySignContent(params: Readonly<Record<string, string | undefined>>): string {
  return Object.keys(params)
    .filter((name) => name !== 'sign' && params[name] !== undefined && params[name] !== '')
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
}

/** SHA256withRSA of the UTF-8 text, base64 (Alipay's RSA2). */
export function signAlipayContent(content: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

/** True only when `signature` is a valid RSA2 signature of `content` under `publicKey`; never throws. */
export function verifyAlipaySignature(content: string, signature: string, publicKey: KeyObject): boolean {
  if (signature.length === 0 || signature.length > 2048 || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

/** Signs a request's parameters: returns them with `sign` added. */
export function signAlipayParams(params: Readonly<Record<string, string>>, privateKey: KeyObject): Record<string, string> {
  return { ...params, sign: signAlipayContent(alipaySignContent(params), privateKey) };
}

/**
 * The merchant's private key as Alipay's key tool exports it: PEM PKCS#8 (`BEGIN PRIVATE KEY`), PEM
 * PKCS#1 (`BEGIN RSA PRIVATE KEY`), or the bare base64 body of either (the tool's "no wrapper" form).
 */
export function parseAlipayPrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.includes('-----BEGIN')
    ? createPrivateKey(trimmed)
    : firstParsed(bareDer(trimmed), (der) => [
        () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
        () => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }),
      ]);
  assertRsa(key, 'private');
  return key;
}

/** Alipay's public key: PEM SPKI (`BEGIN PUBLIC KEY`), PEM PKCS#1 (`BEGIN RSA PUBLIC KEY`), or bare base64. */
export function parseAlipayPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.includes('-----BEGIN')
    ? createPublicKey(trimmed)
    : firstParsed(bareDer(trimmed), (der) => [
        () => createPublicKey({ key: der, format: 'der', type: 'spki' }),
        () => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
      ]);
  assertRsa(key, 'public');
  return key;
}

function bareDer(text: string): Buffer {
  const body = text.replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new Error('the key is neither PEM nor bare base64');
  return Buffer.from(body, 'base64');
}

function firstParsed(der: Buffer, attempts: (der: Buffer) => Array<() => KeyObject>): KeyObject {
  for (const attempt of attempts(der)) {
    try {
      return attempt();
    } catch {
      // try the next encoding
    }
  }
  throw new Error('the base64 key is not a DER RSA key in any encoding Alipay exports');
}

function assertRsa(key: KeyObject, kind: 'private' | 'public'): void {
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`the ${kind} key is ${key.asymmetricKeyType ?? 'not asymmetric'}, Alipay RSA2 needs RSA`);
}

/** What a signed Alipay answer holds: the raw text of the `*_response` object, its parsed value, and the signature. */
export interface AlipaySignedAnswer {
  /** The top-level key that held the answer (`alipay_trade_pay_response`, or `error_response` for gateway errors). */
  responseKey: string;
  /** The exact characters of the response object as received: what Alipay signed. */
  signedText: string;
  response: Record<string, unknown>;
  /** The `sign` value, or null when the answer carries none. */
  sign: string | null;
}

/**
 * Splits an answer body into the signed object's raw text and the signature. Null when the body is not
 * a JSON object, or holds neither `responseKey` nor `error_response` as an object.
 */
export function readAlipayAnswer(body: string, responseKey: string): AlipaySignedAnswer | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isObject(parsed)) return null;
  const spans = topLevelValueSpans(body);
  if (spans === null) return null;
  for (const key of [responseKey, 'error_response']) {
    const value = parsed[key];
    const span = spans.get(key);
    if (isObject(value) && span !== undefined) {
      const sign = parsed['sign'];
      return { responseKey: key, signedText: body.slice(span.start, span.end), response: value, sign: typeof sign === 'string' ? sign : null };
    }
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Where each top-level member's value starts and ends in the text of a JSON object (already known to
 * parse). The key is decoded (JSON.parse of its string token) so an escaped key still matches; for a
 * key given twice the last wins, as in JSON.parse.
 */
function topLevelValueSpans(text: string): Map<string, { start: number; end: number }> | null {
  const spans = new Map<string, { start: number; end: number }>();
  let at = skipSpace(text, 0);
  if (text[at] !== '{') return null;
  at = skipSpace(text, at + 1);
  if (text[at] === '}') return spans;
  for (;;) {
    const keyEnd = endOfString(text, at);
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    at = skipSpace(text, keyEnd);
    if (text[at] !== ':') return null;
    const start = skipSpace(text, at + 1);
    const end = endOfValue(text, start);
    spans.set(key, { start, end });
    at = skipSpace(text, end);
    if (text[at] === '}') return spans;
    if (text[at] !== ',') return null;
    at = skipSpace(text, at + 1);
  }
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\t' || text[at] === '\n' || text[at] === '\r')) at += 1;
  return at;
}

/** Index just past the string token starting at `at` (a `"`). */
function endOfString(text: string, at: number): number {
  let index = at + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '"') return index + 1;
    else index += 1;
  }
  return text.length;
}

/** Index just past the JSON value starting at `at`. */
function endOfValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return endOfString(text, at);
  if (first === '{' || first === '[') {
    let depth = 0;
    let index = at;
    while (index < text.length) {
      const char = text[index];
      if (char === '"') {
        index = endOfString(text, index);
        continue;
      }
      if (char === '{' || char === '[') depth += 1;
      else if (char === '}' || char === ']') {
        depth -= 1;
        if (depth === 0) return index + 1;
      }
      index += 1;
    }
    return text.length;
  }
  let index = at;
  while (index < text.length && !/[\s,}\]]/.test(text[index] as string)) index += 1;
  return index;
}
