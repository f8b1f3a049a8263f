// The customer's scanned payment code (付款码): which method it belongs to, whether it is well formed,
// and the only forms of it reswipe keeps. A code is a bearer credential while it is valid (about a
// minute): it is sent to the provider once and never logged or stored in full.
import type { QrMethod } from '../ports/qr-channel.ts';

/**
 * The published shapes of each method's code: WeChat Pay 18 digits starting 10 to 15; Alipay 16 to 24
 * digits starting 25 to 30; UnionPay QR (银联二维码 C2B) 19 digits starting 62. The prefixes do not
 * overlap, so a code alone names its method.
 */
export const qrAuthCodeShapes: Readonly<Record<QrMethod, { pattern: RegExp; expected: string }>> = Object.freeze({
  wechat: { pattern: /^1[0-5][0-9]{16}$/, expected: '18 digits starting 10 to 15 (WeChat Pay)' },
  alipay: { pattern: /^(2[5-9]|30)[0-9]{14,22}$/, expected: '16 to 24 digits starting 25 to 30 (Alipay)' },
  'unionpay-qr': { pattern: /^62[0-9]{17}$/, expected: '19 digits starting 62 (UnionPay QR)' },
});

/** Longest code of any method: inputs longer than this are refused before any pattern runs. */
export const qrAuthCodeLengthMax = 24;

/** The method whose shape the code has, or null when it has none. */
export function methodOfAuthCode(authCode: string): QrMethod | null {
  if (authCode.length > qrAuthCodeLengthMax) return null;
  for (const method of Object.keys(qrAuthCodeShapes) as QrMethod[]) {
    if (qrAuthCodeShapes[method].pattern.test(authCode)) return method;
  }
  return null;
}

/** Null when the code fits the method, else the phrase saying what it must be (for RSW_ errors naming `authCode`). */
export function authCodeProblem(method: QrMethod, authCode: string): string | null {
  const shape = qrAuthCodeShapes[method];
  if (authCode.length > qrAuthCodeLengthMax || !shape.pattern.test(authCode)) return `must be ${shape.expected}`;
  return null;
}

// The masked form (first 4 and last 4 digits) lives in mask-auth-code.ts, which the adapters and the
// sandbox use too; re-exported here for the engine's callers.
export { maskAuthCode } from './mask-auth-code.ts';

/** WeChat Pay and Alipay: QR methods paid through a provider's HTTP API (their trades are cancelled, never reversed by an ISO 0400). */
export function isQrProviderMethod(method: string | undefined | null): method is 'wechat' | 'alipay' {
  return method === 'wechat' || method === 'alipay';
}
