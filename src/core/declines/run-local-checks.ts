// The checks reswipe runs before anything goes upstream (docs/local-checks.md). Each failure is a
// local decline with the standard response code, the exact reason and the field; the first failing
// check wins, in this order: terminal, merchant, amount, card number, Luhn, BIN, expiry, CVV,
// merchant permission, amount limits. Reasons never contain the PAN, the CVV or any digits of them.
// A scanned UnionPay QR code (entry mode `qr`) is no card: it has no expiry, CVV or PIN, no Luhn digit
// and no BIN, so its checks are terminal, merchant, amount, the code's shape, the merchant's
// `unionpay-qr` permission and the amount limits (docs/qr-unionpay.md).
import { localTimeOf } from '../time/local-time.ts';
import { cardTypes, isMember, type CardBrand, type PaymentMethod } from '../vocabulary.ts';
import type { BinTable, CardInfo } from '../cards/card-info.ts';
import { brandRules, isLuhnValid } from '../cards/card-brands.ts';
import { lookupCard } from '../cards/lookup-card.ts';
import { isUnionPayQrCode } from '../payments/unionpay-qr-request.ts';
import type { Diagnosis } from './diagnosis.ts';
import type { Limits, LocalCheckInput, LocalCheckResult } from './local-check-types.ts';
import { formatYuan, localDecline } from './local-decline.ts';

export const defaultTimeZone = 'Asia/Shanghai';

/** Brands whose UnionPay ranges (62, 81) may carry PANs without a valid Luhn digit. */
function isUnionPayNonLuhnRange(pan: string): boolean {
  return pan.startsWith('62') || pan.startsWith('81');
}

/** The current YYMM in a time zone, from an instant. */
export function currentYymm(nowMs: number, timeZone: string): string {
  const local = localTimeOf(nowMs, timeZone);
  return `${String(local.year % 100).padStart(2, '0')}${String(local.month).padStart(2, '0')}`;
}

function checkTerminal(input: LocalCheckInput): Diagnosis | null {
  const terminal = input.terminal;
  if (terminal === null) {
    return localDecline('97', { reason: 'terminal is not registered with reswipe', field: 'terminal.id' });
  }
  switch (terminal.state) {
    case 'active':
      break;
    case 'registered':
    case 'disabled':
      return localDecline('58', {
        reason: `terminal ${terminal.id} is ${terminal.state === 'registered' ? 'registered but not activated' : 'disabled'}`,
        field: 'terminal.state',
        category: 'terminal_setup',
        party: 'terminal',
        verdict: 'fix',
        cashier: {
          zh: '此终端未启用，不能交易。请联系POS服务商启用终端，或改用其他支付方式。',
          en: 'This terminal is not enabled for sales. Call the POS provider to enable it; take another payment method.',
        },
      });
  }
  if (!terminal.signedOn) {
    return localDecline('22', {
      reason: `terminal ${terminal.id} is not signed on`,
      field: 'terminal.signedOn',
      category: 'terminal_setup',
      party: 'terminal',
      verdict: 'fix',
      cashier: { zh: '终端未签到。请先签到，再重新交易。', en: 'The terminal is not signed on. Sign on, then start the sale again.' },
    });
  }
  return null;
}

function checkMerchant(input: LocalCheckInput): Diagnosis | null {
  const merchant = input.merchant;
  if (merchant === null || merchant.disabled === true) {
    return localDecline('03', {
      reason: merchant === null ? 'merchant is not registered with reswipe' : `merchant ${merchant.id} is disabled`,
      field: merchant === null ? 'merchant.id' : 'merchant.disabled',
      verdict: 'fix',
      cashier: { zh: '商户未开通或已停用。请联系POS服务商或收单机构。', en: 'The merchant is not enabled. Call the POS provider or the acquirer.' },
    });
  }
  return null;
}

function checkAmountFormat(input: LocalCheckInput): Diagnosis | null {
  if (Number.isSafeInteger(input.amountMinor) && input.amountMinor > 0) return null;
  return localDecline('13', { reason: 'amount must be a positive whole number of fen', field: 'amountMinor', party: 'merchant' });
}

function checkCardNumber(pan: string, card: CardInfo, strictBin: boolean, warnings: string[], strictLuhn: boolean): Diagnosis | null {
  const cashierReenter = {
    zh: '卡号无效。请重新插卡/刷卡或核对手输卡号；仍失败请换卡。',
    en: 'Card number not valid. Re-insert/re-swipe or re-key the number; if it fails again, use another card.',
  };
  if (!/^[0-9]+$/.test(pan)) {
    return localDecline('14', { reason: 'card number must contain digits only', field: 'card.pan', cashier: cashierReenter });
  }
  if (card.brand === 'unknown') {
    return localDecline('15', { reason: `no card scheme uses the prefix of this ${pan.length}-digit card number`, field: 'card.pan', category: 'card_data', party: 'cardholder' });
  }
  const rule = brandRules[card.brand];
  if (!rule.panLengths.includes(pan.length)) {
    return localDecline('14', {
      reason: `card number has ${pan.length} digits; ${card.brand} card numbers have ${rule.panLengths.join(', ')}`,
      field: 'card.pan',
      cashier: cashierReenter,
    });
  }
  if (!isLuhnValid(pan)) {
    const warnOnly = !rule.luhnRequired && isUnionPayNonLuhnRange(pan);
    if (!warnOnly || strictLuhn) {
      return localDecline('14', { reason: 'card number fails the Luhn check digit', field: 'card.pan', cashier: cashierReenter });
    }
    warnings.push('card number fails the Luhn check digit (allowed for UnionPay 62/81 ranges; set strict Luhn to refuse)');
  }
  if (!card.binMatched) {
    if (strictBin) {
      return localDecline('15', {
        reason: `BIN ${pan.slice(0, 6)} is not in the BIN table (strict BIN mode)`,
        field: 'card.pan',
        cashier: { zh: '此卡号段不在受理范围内，请换卡支付。', en: 'This card range is not accepted here. Use another card.' },
      });
    }
    warnings.push(`BIN ${pan.slice(0, 6)} is not in the BIN table: routed as ${card.brand}, card type unknown`);
  }
  return null;
}

function checkExpiry(expiry: string | undefined, nowYymm: string): Diagnosis | null {
  if (expiry === undefined) return null;
  const month = Number(expiry.slice(2, 4));
  if (!/^[0-9]{4}$/.test(expiry) || month < 1 || month > 12) {
    return localDecline('54', {
      reason: 'expiry must be YYMM with a month from 01 to 12',
      field: 'card.expiry',
      category: 'card_data',
      verdict: 'fix',
      cashier: { zh: '有效期格式错误（应为年年月月）。请核对后重新输入。', en: 'Expiry format wrong (YYMM). Check it and enter it again.' },
      customer: { zh: '卡片有效期有误，请核对。', en: 'The card expiry date is not valid. Please check it.' },
    });
  }
  if (expiry < nowYymm) {
    return localDecline('54', { reason: `expiry ${expiry} is before ${nowYymm}`, field: 'card.expiry' });
  }
  return null;
}

function checkCvv(cvv: string | undefined, brand: CardBrand): Diagnosis | null {
  if (cvv === undefined) return null;
  const length = brandRules[brand].cvvLength;
  if (new RegExp(`^[0-9]{${length}}$`).test(cvv)) return null;
  // Visa names this case N7 (CVV2 mismatch); the other schemes and CUPS use 05 (cardholder authentication failed).
  return localDecline(brand === 'visa' ? 'N7' : '05', {
    reason: `security code must be ${length} digits for ${brand}`,
    field: 'card.cvv',
    category: 'card_data',
    party: 'cardholder',
    verdict: 'fix',
    cashier: {
      zh: `安全码格式错误（${brand === 'amex' ? '4' : '3'}位数字）。请核对后重新输入，或换卡。`,
      en: `Security code format wrong (${length} digits for this card). Re-enter it or use another card.`,
    },
    customer: { zh: '安全码格式有误，请核对后重新输入。', en: 'The security code format is not valid. Please check it and enter it again.' },
  });
}

const cardTypeNamesZh: Record<string, string> = { debit: '借记卡', credit: '信用卡', 'quasi-credit': '准贷记卡', prepaid: '预付卡' };

/** The 58 of a merchant not enabled for a card brand, card type or payment method. */
function refusePermission(reason: string, what: BilingualWhat): Diagnosis {
  return localDecline('58', {
    reason,
    field: what.field,
    party: 'merchant',
    cashier: {
      zh: `本商户未开通${what.zh}受理。请改用其他卡或支付方式；如需开通请联系收单机构。`,
      en: `This shop is not enabled for ${what.en}. Take another card or payment method; the merchant can ask the acquirer to enable it.`,
    },
    customer: {
      zh: `本店暂不受理${what.zh}，请使用其他卡或支付方式。`,
      en: `This shop cannot accept ${what.en}. Please use another card or payment method.`,
    },
  });
}

function checkPermission(input: LocalCheckInput, card: CardInfo, warnings: string[]): Diagnosis | null {
  const merchant = input.merchant;
  if (merchant === null) return null;
  const accepts = new Set(merchant.accepts);
  const brandsListed = [...accepts].filter((entry) => isBrandName(entry));
  if (brandsListed.length > 0 && !accepts.has(card.brand)) {
    return refusePermission(`merchant ${merchant.id} does not accept ${card.brand} cards`, { field: 'card.brand', zh: `${card.brand}卡`, en: `${card.brand} cards` });
  }
  if (input.method !== undefined && !accepts.has(input.method) && !isCardType(input.method)) {
    return refusePermission(`merchant ${merchant.id} does not accept ${input.method}`, { field: 'method', zh: input.method, en: input.method });
  }
  if (card.type === 'unknown') {
    const allCardTypes = cardTypes.filter((type) => type !== 'unknown').every((type) => accepts.has(type));
    if (!allCardTypes) warnings.push(`card type unknown: merchant ${merchant.id} card-type permission could not be checked`);
    return null;
  }
  if (!accepts.has(card.type)) {
    return refusePermission(`merchant ${merchant.id} does not accept ${card.type} cards`, {
      field: 'card.type',
      zh: cardTypeNamesZh[card.type] ?? card.type,
      en: `${card.type} cards`,
    });
  }
  return null;
}

interface BilingualWhat {
  field: string;
  zh: string;
  en: string;
}

function isBrandName(value: string): boolean {
  return ['unionpay', 'visa', 'mastercard', 'jcb', 'amex', 'discover', 'diners', 'mir'].includes(value);
}

function isCardType(value: PaymentMethod): boolean {
  return isMember(cardTypes, value);
}

function checkLimits(input: LocalCheckInput): Diagnosis | null {
  const amount = input.amountMinor;
  const checks: Array<[string, Limits | undefined, string, number, number]> = [];
  if (input.terminal !== null) {
    checks.push(['terminal', input.terminal.limits, input.terminal.id, input.totals.terminalDayMinor, input.totals.terminalMonthMinor]);
  }
  if (input.merchant !== null) {
    checks.push(['merchant', input.merchant.limits, input.merchant.id, input.totals.merchantDayMinor, input.totals.merchantMonthMinor]);
  }
  for (const [who, limits, id, dayMinor, monthMinor] of checks) {
    if (limits === undefined) continue;
    if (limits.perSaleMinor !== undefined && amount > limits.perSaleMinor) return overLimit(who, id, amount, 'per-sale', 'perSaleMinor', limits.perSaleMinor, 0);
    if (limits.perDayMinor !== undefined && dayMinor + amount > limits.perDayMinor) return overLimit(who, id, amount, 'daily', 'perDayMinor', limits.perDayMinor, dayMinor);
    if (limits.perMonthMinor !== undefined && monthMinor + amount > limits.perMonthMinor) return overLimit(who, id, amount, 'monthly', 'perMonthMinor', limits.perMonthMinor, monthMinor);
  }
  return null;
}

// A module function, not a closure in checkLimits: tsx (esbuild keepNames) names every closure bound to a
// const with Object.defineProperty, about a microsecond per sale for nothing.
function overLimit(who: string, id: string, amount: number, what: string, field: string, limitMinor: number, sumMinor: number): Diagnosis {
  return localDecline('61', {
    reason: `amount ${formatYuan(amount)} CNY${sumMinor > 0 ? ` plus ${formatYuan(sumMinor)} already taken` : ''} exceeds the ${who} ${id} ${what} limit of ${formatYuan(limitMinor)} CNY`,
    field: `${who}.limits.${field}`,
    party: 'merchant',
    cashier: {
      zh: `超过本${who === 'terminal' ? '终端' : '商户'}${whatZh(what)}限额 ${formatYuan(limitMinor)} 元。请改用其他支付方式；调整限额请联系收单机构。`,
      en: `Over this ${who}'s ${what} limit of ${formatYuan(limitMinor)} CNY. Take another payment method; the merchant can ask the acquirer to change the limit.`,
    },
    customer: {
      zh: '金额超出本店刷卡限额，请使用其他支付方式。',
      en: 'The amount is over this shop\'s card limit. Please use another payment method.',
    },
  });
}

function whatZh(what: string): string {
  return what === 'per-sale' ? '单笔' : what === 'daily' ? '单日' : '单月';
}

/** What a UnionPay QR code is to the checks and the router: a UnionPay payment of no card type, in no BIN range. */
export function unionPayQrCardInfo(code: string): CardInfo {
  return { brand: 'unionpay', type: 'unknown', issuer: null, binMatched: false, panLength: code.length };
}

function checkQrCode(code: string): Diagnosis | null {
  if (isUnionPayQrCode(code)) return null;
  return localDecline('14', {
    reason: 'a UnionPay QR code must be 19 digits starting 62',
    field: 'authCode',
    category: 'card_data',
    party: 'cardholder',
    verdict: 'fix',
    cashier: { zh: '付款码无效。请顾客刷新付款码后重新扫码。', en: 'Payment code not valid. Ask the customer to refresh the code and scan it again.' },
  });
}

function checkQrPermission(input: LocalCheckInput): Diagnosis | null {
  const merchant = input.merchant;
  if (merchant === null || merchant.accepts.includes('unionpay-qr')) return null;
  return refusePermission(`merchant ${merchant.id} does not accept unionpay-qr`, { field: 'method', zh: '银联二维码', en: 'UnionPay QR' });
}

/** Runs every check that needs no upstream; the first failure is the answer. */
export function runLocalChecks(input: LocalCheckInput, binTable: BinTable): LocalCheckResult {
  const warnings: string[] = [];
  const early = checkTerminal(input) ?? checkMerchant(input) ?? checkAmountFormat(input);
  if (early !== null) return { ok: false, card: null, diagnosis: early };
  if (input.entryMode === 'qr') {
    // Card number, Luhn, BIN, expiry, CVV and the card brand/type permissions do not apply to a code.
    const code = unionPayQrCardInfo(input.pan);
    const failure = checkQrCode(input.pan) ?? checkQrPermission(input) ?? checkLimits(input);
    return failure === null ? { ok: true, card: code, warnings } : { ok: false, card: code, diagnosis: failure };
  }
  const card = lookupCard(input.pan, binTable);
  const failure =
    checkCardNumber(input.pan, card, input.strict.bin, warnings, input.strict.luhn) ??
    checkExpiry(input.expiry, currentYymm(input.nowMs, input.timeZone ?? defaultTimeZone)) ??
    checkCvv(input.cvv, card.brand) ??
    checkPermission(input, card, warnings) ??
    checkLimits(input);
  if (failure !== null) return { ok: false, card: /^[0-9]+$/.test(input.pan) ? card : null, diagnosis: failure };
  return { ok: true, card, warnings };
}
