// Goal: the shipped BIN table holds the shared test cards with the agreed types and lookups prefer the longest prefix. Method: table tests over lookupCard and broken documents fed to the validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brandFromPrefix, defaultBinTable, isLuhnValid, lookupCard, parseBinTable } from '../../../src/core/declines/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const required: Array<[string, string, string, RegExp]> = [
  ['622202', 'unionpay', 'debit', /工商银行/],
  ['621700', 'unionpay', 'debit', /建设银行/],
  ['622588', 'unionpay', 'credit', /招商银行/],
  ['625807', 'unionpay', 'quasi-credit', /中国银行/],
  ['623058', 'unionpay', 'prepaid', /平安银行/],
  ['811234', 'unionpay', 'debit', /邮政储蓄银行/],
  ['411111', 'visa', 'credit', /./],
  ['431940', 'visa', 'debit', /./],
  ['555555', 'mastercard', 'credit', /./],
  ['520082', 'mastercard', 'debit', /./],
  ['353011', 'jcb', 'credit', /./],
  ['378282', 'amex', 'credit', /./],
  ['222300', 'mastercard', 'credit', /./],
];

for (const [bin, brand, type, issuer] of required) {
  test(`BIN ${bin} is ${brand} ${type}`, () => {
    const card = lookupCard(`${bin}0000000000`, defaultBinTable);
    assert.equal(card.brand, brand);
    assert.equal(card.type, type);
    assert.equal(card.binMatched, true);
    assert.match(`${card.issuer ?? ''} ${card.issuerZh ?? ''}`, issuer);
  });
}

test('brand by prefix when the BIN is not in the table', () => {
  const rows: Array<[string, string]> = [
    ['4000', 'visa'], ['5100', 'mastercard'], ['2221', 'mastercard'], ['2720', 'mastercard'], ['2721', 'unknown'],
    ['3400', 'amex'], ['3700', 'amex'], ['3528', 'jcb'], ['3589', 'jcb'], ['6200', 'unionpay'], ['8100', 'unionpay'],
    ['8171', 'unionpay'], ['8180', 'unknown'], ['6011', 'discover'], ['3000', 'diners'], ['2200', 'mir'], ['9999', 'unknown'],
  ];
  for (const [prefix, brand] of rows) assert.equal(brandFromPrefix(`${prefix}000000000000`), brand, prefix);
  const card = lookupCard('6250000000000000', defaultBinTable);
  assert.deepEqual([card.brand, card.type, card.binMatched, card.issuer], ['unionpay', 'unknown', false, null]);
});

test('the longest prefix wins', () => {
  const table = parseBinTable({ edition: 't', entries: [
    { prefix: '6222', brand: 'unionpay', type: 'credit', issuer: 'short' },
    { prefix: '62220201', brand: 'unionpay', type: 'debit', issuer: 'long' },
  ] });
  assert.equal(lookupCard('6222020100000000', table).issuer, 'long');
  assert.equal(lookupCard('6222030000000000', table).issuer, 'short');
  // A plain BinTable (no index) gives the same answer.
  assert.equal(lookupCard('6222020100000000', { edition: 't', entries: table.entries }).issuer, 'long');
});

test('Luhn', () => {
  assert.equal(isLuhnValid('4111111111111111'), true);
  assert.equal(isLuhnValid('4111111111111112'), false);
  assert.equal(isLuhnValid('378282246310005'), true);
  assert.equal(isLuhnValid(''), false);
  assert.equal(isLuhnValid('41x1'), false);
});

test('bad BIN entries are refused naming the path', () => {
  const cases: Array<[unknown, string]> = [
    [{ edition: 't', entries: [{ prefix: '62', brand: 'unionpay', type: 'debit', issuer: 'x' }] }, '$.entries[0].prefix'],
    [{ edition: 't', entries: [{ prefix: '411111', brand: 'unionpay', type: 'debit', issuer: 'x' }] }, '$.entries[0].brand'],
    [{ edition: 't', entries: [{ prefix: '622202', brand: 'unionpay', type: 'charge', issuer: 'x' }] }, '$.entries[0].type'],
    [{ edition: 't', entries: [{ prefix: '622202', brand: 'unionpay', type: 'debit', issuer: 'x' }, { prefix: '622202', brand: 'unionpay', type: 'debit', issuer: 'y' }] }, '$.entries[1].prefix'],
    [{ edition: 't' }, '$.entries'],
  ];
  for (const [doc, path] of cases) {
    assert.throws(() => parseBinTable(doc, 'bins.json'), (error: unknown) => isReswipeError(error, 'RSW_DECLINE_DATA_INVALID') && error.field === path, path);
  }
});
