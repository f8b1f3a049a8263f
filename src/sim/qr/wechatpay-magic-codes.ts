// The WeChat Pay sandbox's magic auth codes (付款码): a real code is 18 digits starting 10 to 15; the
// sandbox reads its first six digits to pick the outcome, the other twelve are free (so every test can
// use fresh codes). Any valid code not listed is paid at once. Documented in docs/qr-sandbox.md and
// printed by `reswipe qr-sim`.
import type { QrMagicCode } from './qr-sandbox-provider.ts';

export type WechatMagicBehaviour =
  | { kind: 'paid' }
  /** micropay answers USERPAYING; the trade becomes paid at the `queries`-th orderquery. */
  | { kind: 'paying_then_paid'; queries: number }
  /** micropay answers USERPAYING; the customer cancels: the `queries`-th orderquery finds PAYERROR, nothing charged. */
  | { kind: 'paying_then_cancelled'; queries: number }
  /** A definite refusal, nothing charged. */
  | { kind: 'refused'; errCode: string; description: string }
  /** micropay answers SYSTEMERROR but the money moved: the trade is paid in the book (the dangerous case). `reverseFailures` reverses answer SYSTEMERROR with recall=Y first. */
  | { kind: 'system_error_paid'; reverseFailures: number }
  /** micropay answers SYSTEMERROR and nothing happened: orderquery finds no trade. */
  | { kind: 'system_error_nothing' }
  /** micropay answers BANKERROR and nothing happened: orderquery finds no trade. */
  | { kind: 'bank_error' }
  /** The money moves and the answer never comes (the sandbox holds the connection until the client gives up). */
  | { kind: 'silent_paid' };

interface MagicEntry {
  readonly prefix: string;
  readonly behaviour: WechatMagicBehaviour;
  readonly outcome: string;
}

const payingEntries: MagicEntry[] = [];
for (let queries = 1; queries <= 9; queries++) {
  payingEntries.push({ prefix: `13100${queries}`, behaviour: { kind: 'paying_then_paid', queries }, outcome: `USERPAYING, then paid at orderquery number ${queries}` });
}
for (let queries = 1; queries <= 9; queries++) {
  payingEntries.push({ prefix: `13110${queries}`, behaviour: { kind: 'paying_then_cancelled', queries }, outcome: `USERPAYING, then cancelled by the customer: orderquery number ${queries} finds PAYERROR, nothing charged` });
}

export const wechatMagicEntries: readonly MagicEntry[] = Object.freeze([
  ...payingEntries,
  { prefix: '132001', behaviour: { kind: 'refused', errCode: 'NOTENOUGH', description: '余额不足' }, outcome: 'NOTENOUGH: balance too low, nothing charged' },
  { prefix: '132002', behaviour: { kind: 'refused', errCode: 'AUTHCODEEXPIRE', description: '二维码已过期，请用户在微信上刷新后再试' }, outcome: 'AUTHCODEEXPIRE: the code expired, nothing charged' },
  { prefix: '132003', behaviour: { kind: 'refused', errCode: 'NOTSUPORTCARD', description: '不支持卡类型' }, outcome: 'NOTSUPORTCARD: the paying card is not supported, nothing charged' },
  { prefix: '132004', behaviour: { kind: 'refused', errCode: 'AUTH_CODE_INVALID', description: '付款码无效' }, outcome: 'AUTH_CODE_INVALID: not a valid code, nothing charged' },
  { prefix: '132005', behaviour: { kind: 'refused', errCode: 'BUYER_MISMATCH', description: '支付帐号错误' }, outcome: 'BUYER_MISMATCH: another buyer than the order\'s, nothing charged' },
  { prefix: '133001', behaviour: { kind: 'system_error_paid', reverseFailures: 0 }, outcome: 'SYSTEMERROR, but the trade IS paid in the book (query finds SUCCESS)' },
  { prefix: '133002', behaviour: { kind: 'system_error_nothing' }, outcome: 'SYSTEMERROR, nothing happened (query finds ORDERNOTEXIST)' },
  { prefix: '133003', behaviour: { kind: 'bank_error' }, outcome: 'BANKERROR, nothing happened (query finds ORDERNOTEXIST)' },
  { prefix: '133004', behaviour: { kind: 'system_error_paid', reverseFailures: 1 }, outcome: 'SYSTEMERROR with the trade paid; the first reverse answers SYSTEMERROR recall=Y, the next one reverses' },
  { prefix: '134001', behaviour: { kind: 'silent_paid' }, outcome: 'no answer: the money moves and the sandbox never replies (query finds SUCCESS)' },
]);

/** A code WeChat would accept: 18 digits starting 10 to 15. */
export function isWellFormedWechatAuthCode(authCode: string): boolean {
  return /^1[0-5][0-9]{16}$/.test(authCode);
}

/** What the sandbox does with this (well-formed) code. */
export function wechatMagicBehaviour(authCode: string): WechatMagicBehaviour {
  const prefix = authCode.slice(0, 6);
  return wechatMagicEntries.find((entry) => entry.prefix === prefix)?.behaviour ?? { kind: 'paid' };
}

/** An example code for a prefix: the prefix, then zeros, then `serial` (unique per test). */
export function wechatMagicCode(prefix: string, serial = 1): string {
  return `${prefix}${String(serial).padStart(12, '0')}`;
}

export function wechatMagicCodeTable(): QrMagicCode[] {
  return [
    { code: '130000000000000001', outcome: 'paid at once (so is any 18-digit code starting 10-15 not listed here)' },
    { code: '13100Nxxxxxxxxxxxx', outcome: 'USERPAYING, then paid at orderquery number N (N = 1 to 9)' },
    { code: '13110Nxxxxxxxxxxxx', outcome: 'USERPAYING, then cancelled by the customer: orderquery number N finds PAYERROR, nothing charged' },
    ...wechatMagicEntries.filter((entry) => entry.behaviour.kind !== 'paying_then_paid' && entry.behaviour.kind !== 'paying_then_cancelled').map((entry) => ({ code: `${entry.prefix}xxxxxxxxxxxx`, outcome: entry.outcome })),
    { code: '(anything else)', outcome: 'AUTH_CODE_INVALID: not 18 digits starting 10-15, nothing charged' },
  ];
}
