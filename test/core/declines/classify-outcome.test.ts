// Goal: outcomes without a response code map to the agreed outcome, verdict and terminal answer, and DE 44/63 render within limits. Method: a table row per non-code outcome, and fast-check over DE 63 truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cashierMessage, cashierMessageWithNote, classifyOutcome, classifyResponseCode, nonCodeOutcomes, terminalVerdictText, truncateUtf8, type Diagnosis } from '../../../src/core/declines/index.ts';

// kind, outcome, verdict, DE 39, DE 44, automatic retry
const rows: Array<[(typeof nonCodeOutcomes)[number], string, string, string, string, boolean]> = [
  ['not_sent', 'not_sent', 'later', '91', 'LATER:30', true],
  ['no_reply', 'unknown', 'wait', '98', 'WAIT:30', false],
  ['late_reply', 'unknown', 'wait', '98', 'WAIT:30', false],
  ['malformed_reply', 'unknown', 'wait', '98', 'WAIT:30', false],
  ['bad_mac', 'unknown', 'wait', '98', 'WAIT:30', false],
  ['reversed', 'reversed', 'later', '98', 'LATER:30', false],
  ['reversal_failed', 'unknown', 'fix', '98', 'FIX', false],
];

test('every non-code outcome has a row', () => {
  assert.deepEqual(rows.map((row) => row[0]).sort(), [...nonCodeOutcomes].sort());
});

for (const [kind, outcome, verdict, de39, de44, automaticRetry] of rows) {
  test(`${kind} → ${outcome}, ${verdict}, DE 39 ${de39}, DE 44 ${de44}`, () => {
    const d = classifyOutcome(kind);
    assert.equal(d.outcome, outcome);
    assert.equal(d.verdict, verdict);
    assert.equal(d.code, de39);
    assert.equal(terminalVerdictText(d), de44);
    assert.equal(d.automaticRetry, automaticRetry);
  });
}

test('while the outcome is unknown the cashier is told not to swipe again', () => {
  for (const kind of ['no_reply', 'late_reply', 'malformed_reply', 'bad_mac'] as const) {
    assert.match(classifyOutcome(kind).advice.cashier.en, /Do not swipe again/);
    assert.match(classifyOutcome(kind).advice.cashier.zh, /勿重复刷卡/);
  }
});

test('DE 44 text for each verdict', () => {
  const rowsDe44: Array<[string, string]> = [['00', 'NONE'], ['19', 'NOW'], ['91', 'LATER:180'], ['51', 'FIX'], ['41', 'NEVER']];
  for (const [code, text] of rowsDe44) assert.equal(terminalVerdictText(classifyResponseCode(code)), text, code);
});

test('DE 63 is the cashier advice, at most 120 UTF-8 bytes, cut on a character boundary', () => {
  for (const code of ['00', '51', '41', '94', 'A0']) {
    for (const lang of ['zh', 'en'] as const) {
      const text = cashierMessage(classifyResponseCode(code), lang);
      assert.ok(Buffer.byteLength(text, 'utf8') <= 120, `${code} ${lang}`);
      assert.ok(classifyResponseCode(code).advice.cashier[lang].startsWith(text));
    }
  }
  const long = classifyResponseCode('94').advice.cashier.zh;
  assert.ok(Buffer.byteLength(long, 'utf8') > 30);
  assert.equal(Buffer.byteLength(cashierMessage(classifyResponseCode('94'), 'zh', 10), 'utf8'), 9, 'three 3-byte characters fit in 10 bytes');
});

test('truncateUtf8 never splits a character and never exceeds the limit (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.integer({ min: 0, max: 200 }), (text, maxBytes) => {
      const cut = truncateUtf8(text, maxBytes);
      assert.ok(Buffer.byteLength(cut, 'utf8') <= maxBytes);
      assert.ok(text.startsWith(cut));
      assert.equal(Buffer.from(cut, 'utf8').toString('utf8'), cut, 'no broken surrogate');
      const next = [...text.slice(cut.length)][0];
      if (next !== undefined) assert.ok(Buffer.byteLength(cut + next, 'utf8') > maxBytes, 'it keeps as much as fits');
    }),
    { numRuns: 300 },
  );
});

test('a Diagnosis serialises to the shape the HTTP API and explain --json share', () => {
  const d: Diagnosis = classifyResponseCode('51');
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(d))).sort(), ['advice', 'automaticRetry', 'category', 'code', 'meaning', 'outcome', 'party', 'verdict', 'waitSeconds'].sort());
});

test('DE 63 carries the note after the advice only when both fit in 120 bytes', () => {
  const approved = classifyResponseCode('00');
  assert.equal(cashierMessageWithNote(approved, 'zh', '第2次尝试成功；第1次已冲正，未扣款。'), '交易成功，打印凭条。 第2次尝试成功；第1次已冲正，未扣款。');
  assert.equal(cashierMessageWithNote(approved, 'en', null), cashierMessage(approved, 'en'));
  const long = 'x'.repeat(120);
  assert.equal(cashierMessageWithNote(approved, 'en', long), cashierMessage(approved, 'en'), 'the advice alone when the note does not fit');
});
