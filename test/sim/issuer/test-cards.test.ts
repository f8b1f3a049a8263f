// Goal: the magic-values table is realistic, complete and the one the docs print. Method: check every row (BINs, Luhn, lengths, categories covered, unique values) and compare docs/issuer-simulator.md with the generated Markdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultBinTable } from '../../../src/core/cards/bin-table.ts';
import { lookupCard } from '../../../src/core/cards/lookup-card.ts';
import { responseCodeTable } from '../../../src/core/declines/response-code-table.ts';
import { formatTestCardTableMarkdown, formatTestCardTableText, formatYuan } from '../../../src/sim/issuer/format-test-card-table.ts';
import { forcedCodeForAmount, issuerFaults, magicAmounts, testCards } from '../../../src/sim/issuer/test-cards.ts';

function isLuhnValid(pan: string): boolean {
  let sum = 0;
  for (let i = 0; i < pan.length; i++) {
    let digit = Number(pan[pan.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

const requiredBins = ['622202', '621700', '622588', '625807', '623058', '811234', '411111', '431940', '555555', '520082', '353011', '378282'];

test('every required BIN has a card, and every card uses one of them', () => {
  for (const bin of requiredBins) assert.ok(testCards.some((card) => card.pan.startsWith(bin)), bin);
  for (const card of testCards) assert.ok(requiredBins.includes(card.pan.slice(0, 6)), card.id);
});

test('card numbers are realistic: Luhn-valid except the 81-range UnionPay card, lengths by brand', () => {
  const lengths: Record<string, number[]> = { unionpay: [16, 19], visa: [16], mastercard: [16], jcb: [16], amex: [15] };
  for (const card of testCards) {
    assert.equal(isLuhnValid(card.pan), !card.pan.startsWith('811234'), card.id);
    assert.ok(lengths[card.brand]?.includes(card.pan.length), `${card.id} length ${card.pan.length}`);
    assert.match(card.expiry, /^\d{4}$/);
    assert.equal(card.cvv.length, card.brand === 'amex' ? 4 : 3, card.id);
    assert.ok((card.balanceMinor === undefined) !== (card.creditLimitMinor === undefined), `${card.id} has either a balance or a limit`);
  }
  assert.equal(new Set(testCards.map((card) => card.pan)).size, testCards.length);
  assert.equal(new Set(testCards.map((card) => card.id)).size, testCards.length);
});

test('the cards cover every category the sandbox promises', () => {
  const codes = new Set(testCards.map((card) => card.expectedCode));
  for (const wanted of ['00', '51', '54', '41', '43', '62', '21', '05', 'N7', '55', '61', '59']) assert.ok(codes.has(wanted), wanted);
  for (const type of ['debit', 'credit', 'quasi-credit', 'prepaid']) assert.ok(testCards.some((card) => card.cardType === type && card.expectedCode === '00'), type);
  assert.ok(testCards.some((card) => card.macCode === '03'));
});

test('magic amounts: unique, codes match their amount, every fault present, 91 and 96 forced', () => {
  assert.equal(new Set(magicAmounts.map((row) => row.amountMinor)).size, magicAmounts.length);
  for (const row of magicAmounts) if (row.effect.kind === 'code') assert.equal(forcedCodeForAmount(row.amountMinor), row.effect.code);
  for (const fault of issuerFaults) assert.ok(magicAmounts.some((row) => row.effect.kind === 'fault' && row.effect.fault === fault), fault);
  for (const wanted of ['91', '96', '05', '51', '13', '65', '68']) assert.ok(magicAmounts.some((row) => row.effect.kind === 'code' && row.effect.code === wanted), wanted);
  assert.equal(forcedCodeForAmount(99_900), undefined);
  assert.equal(forcedCodeForAmount(100_000), undefined);
  assert.equal(forcedCodeForAmount(99_977), '77');
  assert.equal(formatYuan(1_234_567), '¥12,345.67');
  assert.equal(formatYuan(5), '¥0.05');
});

test('docs/issuer-simulator.md carries exactly the generated table, and --list prints every PAN', () => {
  const docPath = fileURLToPath(new URL('../../../docs/issuer-simulator.md', import.meta.url));
  const doc = readFileSync(docPath, 'utf8');
  const begin = '<!-- magic-values:begin (generated from src/sim/issuer/test-cards.ts; npx tsx scripts/generate-issuer-sim-docs.ts) -->\n';
  const end = '\n<!-- magic-values:end -->';
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  assert.ok(from >= 0 && to > from, 'markers present');
  assert.equal(doc.slice(from + begin.length, to), formatTestCardTableMarkdown());
  const text = formatTestCardTableText();
  for (const card of testCards) assert.ok(text.includes(card.pan), card.id);
});

test('the table agrees with the gateway’s own data: BIN table brand and type, response-code categories', () => {
  for (const card of testCards) {
    const info = lookupCard(card.pan, defaultBinTable);
    assert.equal(info.brand, card.brand, card.id);
    assert.equal(info.type, card.cardType, card.id);
    const entry = responseCodeTable.byCode.get(card.expectedCode);
    assert.ok(entry, card.expectedCode);
    assert.equal(entry.category, card.category, card.id);
    // The MAC 03 card is the one place a scheme advice code overrides the code's own verdict.
    if (card.macCode === undefined) assert.equal(entry.verdict, card.verdict, card.id);
  }
  for (const row of magicAmounts) {
    if (row.effect.kind !== 'code') continue;
    assert.equal(responseCodeTable.byCode.get(row.effect.code)?.category, row.category, row.effect.code);
  }
});
