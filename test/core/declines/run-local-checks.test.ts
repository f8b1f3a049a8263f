// Goal: each local check declines with its documented code, reason and field, and passes good input. Method: table tests, one row per check outcome, over a valid base input varied one field at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBinTable, luhnCheckDigit, runLocalChecks, type LocalCheckInput } from '../../../src/core/declines/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const nowMs = Date.parse('2026-11-25T12:00:00+08:00');
const withLuhn = (partial: string): string => `${partial}${luhnCheckDigit(partial)}`;
const icbcDebit = withLuhn('622202000000000001'); // 19 digits
const visaCredit = withLuhn('411111111111111');
const amex = withLuhn('37828224631000');
const cmbCredit = withLuhn('622588000000001');
const icbcBadLuhn = icbcDebit.slice(0, -1) + String((Number(icbcDebit.slice(-1)) + 1) % 10);

function base(overrides: Partial<LocalCheckInput> = {}): LocalCheckInput {
  return {
    pan: icbcDebit,
    expiry: '2812',
    entryMode: 'chip',
    amountMinor: 12_345,
    merchant: { id: 'M1', accepts: ['debit', 'credit', 'quasi-credit', 'prepaid', 'wechat'], limits: { perSaleMinor: 5_000_000, perDayMinor: 10_000_000, perMonthMinor: 100_000_000 } },
    terminal: { id: 'T1', state: 'active', signedOn: true, limits: {} },
    totals: { merchantDayMinor: 0, merchantMonthMinor: 0, terminalDayMinor: 0, terminalMonthMinor: 0 },
    nowMs,
    strict: { luhn: false, bin: false },
    ...overrides,
  };
}

/** A UnionPay QR code (19 digits starting 62; its last digit is no Luhn digit). */
const unionPayQrCode = '6212345678901234560';

function qr(overrides: Partial<LocalCheckInput> = {}): LocalCheckInput {
  return base({ pan: unionPayQrCode, entryMode: 'qr', expiry: undefined, merchant: { id: 'M1', accepts: ['debit', 'credit', 'unionpay-qr'], limits: { perSaleMinor: 5_000_000 } }, ...overrides });
}

type Row = [name: string, input: LocalCheckInput, code: string | null, field: string | null, reason: RegExp | null];

const rows: Row[] = [
  ['valid UnionPay debit passes', base(), null, null, null],
  ['valid Visa credit with CVV passes', base({ pan: visaCredit, cvv: '123', entryMode: 'manual' }), null, null, null],
  ['valid Amex with 4-digit CID passes', base({ pan: amex, cvv: '1234' }), null, null, null],
  ['unknown terminal → 97', base({ terminal: null }), '97', 'terminal.id', /not registered/],
  ['terminal registered but not active → 58', base({ terminal: { id: 'T1', state: 'registered', signedOn: true, limits: {} } }), '58', 'terminal.state', /not activated/],
  ['terminal disabled → 58', base({ terminal: { id: 'T1', state: 'disabled', signedOn: true, limits: {} } }), '58', 'terminal.state', /disabled/],
  ['terminal not signed on → 22', base({ terminal: { id: 'T1', state: 'active', signedOn: false, limits: {} } }), '22', 'terminal.signedOn', /not signed on/],
  ['unknown merchant → 03', base({ merchant: null }), '03', 'merchant.id', /not registered/],
  ['disabled merchant → 03', base({ merchant: { id: 'M1', accepts: ['debit'], limits: {}, disabled: true } }), '03', 'merchant.disabled', /disabled/],
  ['zero amount → 13', base({ amountMinor: 0 }), '13', 'amountMinor', /positive whole number/],
  ['fractional amount → 13', base({ amountMinor: 12.5 }), '13', 'amountMinor', /positive whole number/],
  ['letters in PAN → 14', base({ pan: '6222O2000000000001' }), '14', 'card.pan', /digits only/],
  ['PAN of no scheme → 15', base({ pan: withLuhn('990000000000000') }), '15', 'card.pan', /no card scheme/],
  ['Visa PAN of 15 digits → 14', base({ pan: withLuhn('41111111111111') }), '14', 'card.pan', /15 digits; visa card numbers have 13, 16, 18, 19/],
  ['UnionPay PAN of 13 digits → 14', base({ pan: withLuhn('622202000000') }), '14', 'card.pan', /13 digits; unionpay/],
  ['Visa failing Luhn → 14', base({ pan: '4111111111111112' }), '14', 'card.pan', /Luhn/],
  ['UnionPay failing Luhn passes with a warning', base({ pan: icbcBadLuhn }), null, null, null],
  ['UnionPay failing Luhn in strict mode → 14', base({ pan: icbcBadLuhn, strict: { luhn: true, bin: false } }), '14', 'card.pan', /Luhn/],
  ['BIN not in table passes (brand from prefix)', base({ pan: withLuhn('625000000000000') }), null, null, null],
  ['BIN not in table in strict mode → 15', base({ pan: withLuhn('625000000000000'), strict: { luhn: false, bin: true } }), '15', 'card.pan', /BIN 625000 is not in the BIN table/],
  ['expired card → 54', base({ expiry: '2401' }), '54', 'card.expiry', /expiry 2401 is before 2611/],
  ['card expiring this month passes', base({ expiry: '2611' }), null, null, null],
  ['expiry month 13 → 54 (fix)', base({ expiry: '2613' }), '54', 'card.expiry', /YYMM/],
  ['expiry not digits → 54 (fix)', base({ expiry: '12/8' }), '54', 'card.expiry', /YYMM/],
  ['Visa CVV of 4 digits → N7', base({ pan: visaCredit, cvv: '1234' }), 'N7', 'card.cvv', /3 digits for visa/],
  ['Amex CID of 3 digits → 05', base({ pan: amex, cvv: '123' }), '05', 'card.cvv', /4 digits for amex/],
  ['UnionPay CVN with a letter → 05', base({ cvv: '12a' }), '05', 'card.cvv', /3 digits for unionpay/],
  ['shop without credit cards refuses a credit card → 58', base({ pan: cmbCredit, merchant: { id: 'M1', accepts: ['debit', 'wechat'], limits: {} } }), '58', 'card.type', /does not accept credit cards/],
  ['shop without credit cards refuses quasi-credit → 58', base({ pan: withLuhn('625807000000000'), merchant: { id: 'M1', accepts: ['debit'], limits: {} } }), '58', 'card.type', /quasi-credit/],
  ['shop listing brands refuses another brand → 58', base({ pan: visaCredit, merchant: { id: 'M1', accepts: ['unionpay', 'debit', 'credit'], limits: {} } }), '58', 'card.brand', /does not accept visa cards/],
  ['method not accepted → 58', base({ method: 'alipay' }), '58', 'method', /does not accept alipay/],
  ['over merchant per-sale limit → 61', base({ amountMinor: 5_000_001 }), '61', 'merchant.limits.perSaleMinor', /exceeds the merchant M1 per-sale limit of 50000.00 CNY/],
  ['over merchant daily limit → 61', base({ totals: { merchantDayMinor: 9_990_000, merchantMonthMinor: 9_990_000, terminalDayMinor: 0, terminalMonthMinor: 0 } }), '61', 'merchant.limits.perDayMinor', /plus 99900.00 already taken exceeds the merchant M1 daily limit/],
  ['over merchant monthly limit → 61', base({ totals: { merchantDayMinor: 0, merchantMonthMinor: 99_990_000, terminalDayMinor: 0, terminalMonthMinor: 0 } }), '61', 'merchant.limits.perMonthMinor', /monthly limit/],
  ['over terminal per-sale limit → 61', base({ terminal: { id: 'T1', state: 'active', signedOn: true, limits: { perSaleMinor: 10_000 } } }), '61', 'terminal.limits.perSaleMinor', /terminal T1 per-sale limit of 100.00 CNY/],
  ['over terminal daily limit → 61', base({ terminal: { id: 'T1', state: 'active', signedOn: true, limits: { perDayMinor: 20_000 } }, totals: { merchantDayMinor: 0, merchantMonthMinor: 0, terminalDayMinor: 10_000, terminalMonthMinor: 0 } }), '61', 'terminal.limits.perDayMinor', /daily/],
  ['exactly at the per-sale limit passes', base({ amountMinor: 5_000_000 }), null, null, null],
  // A scanned UnionPay QR code (entry mode qr): the card checks do not apply, the code's shape and the method permission do.
  ['UnionPay QR code passes: no expiry, CVV, Luhn or BIN check', qr({ expiry: '2001', cvv: '1', strict: { luhn: true, bin: true } }), null, null, null],
  ['UnionPay QR code passes where the merchant lists card brands only', qr({ merchant: { id: 'M1', accepts: ['visa', 'credit', 'unionpay-qr'], limits: {} } }), null, null, null],
  ['UnionPay QR code of 18 digits → 14 naming authCode', qr({ pan: unionPayQrCode.slice(0, 18) }), '14', 'authCode', /19 digits starting 62/],
  ['UnionPay QR code not starting 62 → 14 naming authCode', qr({ pan: `81${unionPayQrCode.slice(2)}` }), '14', 'authCode', /19 digits starting 62/],
  ['merchant without unionpay-qr refuses a QR code → 58 naming method', qr({ merchant: { id: 'M1', accepts: ['debit', 'credit', 'wechat'], limits: {} } }), '58', 'method', /does not accept unionpay-qr/],
  ['UnionPay QR over the merchant per-sale limit → 61', qr({ amountMinor: 5_000_001 }), '61', 'merchant.limits.perSaleMinor', /per-sale limit/],
  ['UnionPay QR from a terminal not signed on → 22', qr({ terminal: { id: 'T1', state: 'active', signedOn: false, limits: {} } }), '22', 'terminal.signedOn', /not signed on/],
];

for (const [name, input, code, field, reason] of rows) {
  test(name, () => {
    const result = runLocalChecks(input, defaultBinTable);
    if (code === null) {
      assert.equal(result.ok, true, result.ok ? '' : `${result.diagnosis.code} ${result.diagnosis.reason}`);
      return;
    }
    assert.equal(result.ok, false);
    if (result.ok) return;
    const d = result.diagnosis;
    assert.equal(d.code, code);
    assert.equal(d.field, field);
    assert.match(d.reason ?? '', reason ?? /./);
    assert.equal(d.outcome, 'declined');
    assert.equal(d.automaticRetry, false);
    assert.ok(!(d.reason ?? '').includes(input.pan), 'the reason never holds the PAN');
    if (input.cvv !== undefined) assert.ok(!JSON.stringify(d).includes(`"${input.cvv}"`), 'the CVV never appears');
  });
}

test('warnings name what was let through: UnionPay Luhn, unknown BIN, unchecked card type', () => {
  const luhn = runLocalChecks(base({ pan: icbcBadLuhn }), defaultBinTable);
  assert.ok(luhn.ok && luhn.warnings.some((w) => /Luhn/.test(w)));
  const unknownBin = runLocalChecks(base({ pan: withLuhn('625000000000000'), merchant: { id: 'M1', accepts: ['debit'], limits: {} } }), defaultBinTable);
  assert.ok(unknownBin.ok);
  assert.equal(unknownBin.card.brand, 'unionpay');
  assert.equal(unknownBin.card.type, 'unknown');
  assert.ok(unknownBin.warnings.some((w) => /BIN 625000/.test(w)));
  assert.ok(unknownBin.warnings.some((w) => /card-type permission could not be checked/.test(w)));
});

test('the expiry check uses the configured time zone: at 23:30 UTC on 30 November it is already December in Shanghai', () => {
  const at = Date.parse('2026-11-30T23:30:00Z');
  const shanghai = runLocalChecks(base({ expiry: '2611', nowMs: at }), defaultBinTable);
  assert.equal(shanghai.ok, false);
  const utc = runLocalChecks(base({ expiry: '2611', nowMs: at, timeZone: 'UTC' }), defaultBinTable);
  assert.equal(utc.ok, true);
});

test('the first failing check wins: an unregistered terminal is reported before an expired card', () => {
  const result = runLocalChecks(base({ terminal: null, expiry: '2001' }), defaultBinTable);
  assert.ok(!result.ok && result.diagnosis.code === '97');
});

test('a refused credit card tells the cashier the shop cannot take credit cards', () => {
  const result = runLocalChecks(base({ pan: cmbCredit, merchant: { id: 'M1', accepts: ['debit'], limits: {} } }), defaultBinTable);
  assert.ok(!result.ok);
  assert.match(result.diagnosis.advice.cashier.zh, /信用卡/);
  assert.match(result.diagnosis.advice.customer.en, /cannot accept credit cards/);
  assert.equal(result.diagnosis.party, 'merchant');
});

test('an unknown time zone is an operating fault naming the field, not a decline', () => {
  assert.throws(() => runLocalChecks(base({ timeZone: 'Mars/Olympus' }), defaultBinTable), (e: unknown) => isReswipeError(e, 'RSW_BAD_ARGUMENT') && e.field === 'timeZone');
});

test('a UnionPay QR code is a UnionPay payment of no card type in no BIN range, with no warning', () => {
  const result = runLocalChecks(qr(), defaultBinTable);
  assert.ok(result.ok);
  assert.deepEqual(result.card, { brand: 'unionpay', type: 'unknown', issuer: null, binMatched: false, panLength: 19 });
  assert.deepEqual(result.warnings, []);
});
