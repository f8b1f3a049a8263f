// The scanned codes (付款码) the simulation's customers show: the QR sandbox's magic codes, in a mix
// that reaches every outcome the money rules care about: paid at once (most), paying then paid, paying
// then cancelled by the customer, refused, a system error with the money taken, a system error with
// nothing taken, and no answer at all with the money taken. Each code is unique to its payment (the
// payment's index is the code's serial), so the sandbox's book never mixes two sales. UnionPay QR codes
// (19 digits starting 62) go to the simulated issuer on the host link, whose wallet accounts answer by the
// code's last two digits (src/sim/issuer/test-cards.ts): mostly approved, some insufficient funds, some
// expired; the network faults, not magic digits, make their unknown outcomes.
import { nextUnit, type Random } from '../../src/core/time/random.ts';
import { alipayMagicAuthCode, type AlipayMagicOutcome } from '../../src/sim/qr/alipay-sandbox.ts';
import { wechatMagicCode } from '../../src/sim/qr/wechatpay-magic-codes.ts';
import { unionPayQrMagicSuffixes } from '../../src/sim/issuer/test-cards.ts';

/** WeChat Pay magic prefixes (src/sim/qr/wechatpay-magic-codes.ts) and their share of WeChat sales. */
const wechatMix: ReadonlyArray<readonly [prefix: string, share: number]> = [
  ['130000', 0.6], // paid at once
  ['131002', 0.08], // USERPAYING, paid at the 2nd query
  ['131102', 0.05], // USERPAYING, then cancelled by the customer
  ['132001', 0.05], // NOTENOUGH
  ['132002', 0.03], // AUTHCODEEXPIRE
  ['133001', 0.05], // SYSTEMERROR, the money taken
  ['133004', 0.03], // SYSTEMERROR, the money taken, the first reverse answers recall=Y
  ['133002', 0.03], // SYSTEMERROR, nothing taken
  ['133003', 0.03], // BANKERROR, nothing taken
  ['134001', 0.05], // no answer, the money taken
];

/** Alipay magic outcomes (src/sim/qr/alipay-sandbox.ts) and their share of Alipay sales. */
const alipayMix: ReadonlyArray<readonly [outcome: AlipayMagicOutcome, share: number]> = [
  ['paid', 0.6],
  ['payingThenPaid', 0.1],
  ['payingThenClosed', 0.06],
  ['balanceTooLow', 0.05],
  ['codeInvalid', 0.03],
  ['systemErrorMoneyTaken', 0.07],
  ['noAnswerMoneyTaken', 0.06],
  ['noAnswerNothingTaken', 0.03],
];

function pick<T>(mix: ReadonlyArray<readonly [T, number]>, random: Random): T {
  let draw = nextUnit(random);
  for (const [value, share] of mix) {
    if (draw < share) return value;
    draw -= share;
  }
  return mix[0]![0];
}

/** The code the customer of payment `index` shows for `method`. */
export function simQrCodeOf(method: 'wechat' | 'alipay', index: number, random: Random): string {
  return method === 'wechat' ? wechatMagicCode(pick(wechatMix, random), index + 1) : alipayMagicAuthCode(pick(alipayMix, random), index + 1);
}

/** Last two digits of an approving UnionPay QR code: any but the magic ones (the fault ones, 91 and 92, only act through the issuer process's fault plan). */
const approvingUnionPayQrSuffixes = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0')).filter((suffix) => !(Object.values(unionPayQrMagicSuffixes) as string[]).includes(suffix));

/** The UnionPay QR code the customer of payment `index` shows: 62, the payment's serial, random digits, the outcome's suffix. */
export function simUnionPayQrCodeOf(index: number, random: Random): string {
  const draw = nextUnit(random);
  const suffix = draw < 0.06 ? unionPayQrMagicSuffixes.insufficientFunds : draw < 0.1 ? unionPayQrMagicSuffixes.expiredCode : approvingUnionPayQrSuffixes[Math.floor(nextUnit(random) * approvingUnionPayQrSuffixes.length)]!;
  const middle = String(Math.floor(nextUnit(random) * 100_000_000)).padStart(8, '0');
  return `62${String(index + 1).padStart(7, '0')}${middle}${suffix}`;
}
