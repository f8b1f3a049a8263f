// Goal: every pairing of a clearing line with the gateway's attempt ends matched or in exactly one
// category with the likely cause the gateway's own records support; the queue allows only its
// transitions. Method: a table of the two sides (status, kind, amount, fee, reversal) and the
// decision each must give, checked by category, cause code and the words an operator reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultToleranceRules } from '../../../src/core/reconciliation/tolerance-rules.ts';
import { decideLineMatch, decideOursOnly, decideTheirsOnly, pairByAuthCode, pickJournalEntry, type MatchContext } from '../../../src/core/reconciliation/decide-line-match.ts';
import type { JournalEntry } from '../../../src/core/reconciliation/journal-entry.ts';
import type { ClearingLine } from '../../../src/core/reconciliation/parse-clearing-line.ts';
import { decideDiscrepancyAction, discrepancyNoteRefusal, isDiscrepancyOverdue } from '../../../src/core/reconciliation/discrepancy-queue.ts';

// 2026-06-18 in Asia/Shanghai with a 23:00 cut-off: [06-17 15:00Z, 06-18 15:00Z).
const window = { fromMs: Date.parse('2026-06-17T15:00:00Z'), toMs: Date.parse('2026-06-18T15:00:00Z') };
const context: MatchContext = { channel: 'bank-a', businessDate: '2026-06-18', window, timeZone: 'Asia/Shanghai', rules: defaultToleranceRules };
const saleAt = Date.parse('2026-06-18T02:30:00Z'); // 10:30:00 in Shanghai

function line(overrides: Partial<ClearingLine> = {}): ClearingLine {
  return { lineNo: 2, rrn: '000000000001', stan: '000001', terminalId: 'T0000001', transmittedAt: '0618023000', date: '2026-06-18', time: null, authCode: 'A00001', kind: 'sale', status: 'settled', amountMinor: 10_000, feeMinor: 38, currency: 'CNY', merchantId: null, cardMasked: null, ...overrides };
}

function entry(overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    attemptId: 'a1', paymentId: 'p1', merchantId: 'M1', terminalId: 'pos1', kind: 'sale', paymentStatus: 'approved', attemptOutcome: 'approved', channel: 'bank-a', stan: '000001', transmittedAt: '0618023000',
    upstreamTerminalId: 'T0000001', rrn: '000000000001', authCode: 'A00001', amountMinor: 10_000, currency: 'CNY', feeMinor: 38, createdAtMs: saleAt, completedAtMs: saleAt + 300, manualHandlingSinceMs: null, reversal: null, matchedLineNo: null,
    ...overrides,
  };
}

const reversalConfirmed = { state: 'done' as const, reasonCode: '98', createdAtMs: Date.parse('2026-06-18T02:32:00Z'), completedAtMs: Date.parse('2026-06-18T02:32:05Z') };

const cases: Array<{ name: string; line: ClearingLine; entry: JournalEntry; category: string | null; cause?: string; words?: RegExp; difference?: number }> = [
  { name: 'same sale, same amount and fee', line: line(), entry: entry(), category: null },
  { name: 'both reversed', line: line({ status: 'reversed' }), entry: entry({ attemptOutcome: 'reversed', paymentStatus: 'reversed' }), category: null },
  { name: 'amount differs', line: line({ amountMinor: 10_100 }), entry: entry(), category: 'amount', cause: 'amount_differs', words: /101\.00.*100\.00.*1\.00/, difference: 100 },
  { name: 'fee differs', line: line({ feeMinor: 60 }), entry: entry(), category: 'fee', cause: 'fee_differs', words: /0\.60.*60 bps.*0\.38/, difference: -22 },
  { name: 'no fee here', line: line({ feeMinor: 60 }), entry: entry({ feeMinor: null }), category: 'fee', cause: 'no_fee_here' },
  { name: 'refund fee compared by size', line: line({ kind: 'refund', feeMinor: 38 }), entry: entry({ kind: 'refund', feeMinor: -38 }), category: null },
  { name: 'reversed here, settled there', line: line(), entry: entry({ attemptOutcome: 'reversed', paymentStatus: 'reversed', reversal: reversalConfirmed }), category: 'status', cause: 'reversal_not_applied_upstream', words: /confirmed at 10:32:05/, difference: 10_000 },
  { name: 'approved here, reversed there after the timeout', line: line({ status: 'reversed' }), entry: entry({ reversal: reversalConfirmed }), category: 'status', cause: 'reversed_upstream_after_timeout', words: /approved here, reversed upstream after the terminal's timeout: the reversal was confirmed at 10:32:05/, difference: -10_000 },
  { name: 'approved here, reversed there, nothing sent from here', line: line({ status: 'reversed' }), entry: entry(), category: 'status', cause: 'reversed_upstream', words: /approved here at 10:30:00/ },
  { name: 'unknown here, settled there', line: line(), entry: entry({ attemptOutcome: 'unknown', paymentStatus: 'pending', manualHandlingSinceMs: saleAt + 60_000 }), category: 'status', cause: 'outcome_unknown_here', words: /resolve it as charged.*|manual handling at 10:31:00/ },
  { name: 'voided here, settled there', line: line(), entry: entry({ paymentStatus: 'voided' }), category: 'status', cause: 'voided_here_settled_upstream' },
  { name: 'declined here, settled there', line: line(), entry: entry({ attemptOutcome: 'declined', paymentStatus: 'declined' }), category: 'status', cause: 'declined_here_settled_upstream' },
  { name: 'kind differs', line: line({ kind: 'refund' }), entry: entry(), category: 'status', cause: 'kind_differs' },
  { name: 'a void the channel books as a refund', line: line({ kind: 'refund' }), entry: entry({ kind: 'void' }), category: null },
  { name: 'a void booked as a refund of another amount', line: line({ kind: 'refund', amountMinor: 9_000 }), entry: entry({ kind: 'void' }), category: 'amount', cause: 'amount_differs', difference: 1_000 },
  { name: 'a repeated line', line: line({ lineNo: 9 }), entry: entry({ matchedLineNo: 2 }), category: 'theirs_only', cause: 'duplicate_line', words: /line 9 repeats line 2/ },
];

for (const c of cases) {
  test(`match: ${c.name}`, () => {
    const decision = decideLineMatch(c.line, c.entry, context);
    if (c.category === null) {
      assert.deepEqual(decision, { result: 'matched' });
      return;
    }
    assert.equal(decision.result, 'discrepancy');
    if (decision.result !== 'discrepancy') return;
    assert.equal(decision.discrepancy.category, c.category);
    assert.equal(decision.discrepancy.cause.code, c.cause);
    if (c.words !== undefined) assert.match(decision.discrepancy.cause.en, c.words);
    assert.ok(decision.discrepancy.cause.zh.length > 0);
    if (c.difference !== undefined) assert.equal(decision.discrepancy.differenceMinor, c.difference);
    assert.equal(decision.discrepancy.differenceMinor, decision.discrepancy.theirsMinor - decision.discrepancy.oursMinor);
  });
}

test('tolerance rules are data: a fen of fee rounding may pass, the amount stays exact', () => {
  const rules = { ...defaultToleranceRules, feeToleranceMinor: 1 };
  assert.equal(decideLineMatch(line({ feeMinor: 39 }), entry(), { ...context, rules }).result, 'matched');
  assert.equal(decideLineMatch(line({ feeMinor: 40 }), entry(), { ...context, rules }).result, 'discrepancy');
  assert.equal(decideLineMatch(line({ feeMinor: 999 }), entry(), { ...context, rules: { ...rules, compareFee: false } }).result, 'matched');
  assert.equal(decideLineMatch(line({ amountMinor: 10_001 }), entry(), { ...context, rules }).result, 'discrepancy');
});

test('theirs only: another day, or never sent from here (长款)', () => {
  const other = decideTheirsOnly(line({ date: '2026-06-17' }), context);
  assert.equal(other.result === 'discrepancy' && other.discrepancy.cause.code, 'other_business_date');
  const never = decideTheirsOnly(line(), context);
  assert.ok(never.result === 'discrepancy');
  if (never.result !== 'discrepancy') return;
  assert.equal(never.discrepancy.category, 'theirs_only');
  assert.equal(never.discrepancy.cause.code, 'not_sent_here');
  assert.match(never.discrepancy.cause.zh, /^长款/);
  assert.equal(never.discrepancy.differenceMinor, 10_000);
});

test('ours only: near the cut-off points at the next file, else ask the channel (短款)', () => {
  const late = decideOursOnly(entry({ createdAtMs: window.toMs - 2000 }), context);
  assert.ok(late.result === 'discrepancy' && late.discrepancy.cause.code === 'near_cutoff');
  assert.match(late.result === 'discrepancy' ? late.discrepancy.cause.en : '', /22:59:58, 2 s before the channel's cut-off/);
  const missing = decideOursOnly(entry(), context);
  assert.ok(missing.result === 'discrepancy' && missing.discrepancy.cause.code === 'not_in_channel_file' && missing.discrepancy.differenceMinor === -10_000);
  assert.match(missing.result === 'discrepancy' ? missing.discrepancy.cause.zh : '', /^短款/);
});

test('keys: RRN first (same terminal, then same amount), STAN + DE 7 next; leftovers pair by authorization code + amount once', () => {
  const a = entry({ attemptId: 'a', upstreamTerminalId: 'T9' });
  const b = entry({ attemptId: 'b' });
  assert.equal(pickJournalEntry(line(), [a, b], [])?.attemptId, 'b');
  assert.equal(pickJournalEntry(line({ rrn: null }), [], [a])?.attemptId, 'a');
  assert.equal(pickJournalEntry(line(), [], []), null);
  const pairs = pairByAuthCode([line({ lineNo: 3, rrn: null }), line({ lineNo: 4, rrn: null }), line({ lineNo: 5, authCode: 'ZZZ' })], [entry({ attemptId: 'x' })]);
  assert.deepEqual([...pairs.entries()].map(([n, e]) => [n, e.attemptId]), [[3, 'x']]);
});

test('queue: open → investigating → resolved or written off; final states refuse; notes are mandatory and card-free', () => {
  assert.deepEqual(decideDiscrepancyAction('open', { kind: 'investigate' }), { kind: 'apply', nextState: 'investigating', adjustment: null });
  assert.equal(decideDiscrepancyAction('investigating', { kind: 'investigate' }).kind, 'refused');
  assert.deepEqual(decideDiscrepancyAction('investigating', { kind: 'note' }), { kind: 'apply', nextState: 'investigating', adjustment: null });
  assert.deepEqual(decideDiscrepancyAction('open', { kind: 'resolve', merchantId: 'M1', adjustmentMinor: -100 }), { kind: 'apply', nextState: 'resolved', adjustment: { merchantId: 'M1', amountMinor: -100 } });
  assert.equal(decideDiscrepancyAction('open', { kind: 'resolve', merchantId: null, adjustmentMinor: 100 }).kind, 'refused');
  assert.equal(decideDiscrepancyAction('open', { kind: 'resolve', merchantId: 'M1', adjustmentMinor: 0 }).kind, 'refused');
  assert.equal(decideDiscrepancyAction('open', { kind: 'resolve', merchantId: 'M1', adjustmentMinor: 1.5 }).kind, 'refused');
  assert.deepEqual(decideDiscrepancyAction('open', { kind: 'write_off' }), { kind: 'apply', nextState: 'written_off', adjustment: null });
  for (const state of ['resolved', 'written_off'] as const) for (const kind of ['investigate', 'note', 'write_off'] as const) assert.equal(decideDiscrepancyAction(state, { kind }).kind, 'refused');
  assert.equal(discrepancyNoteRefusal('ok'), 'a note of at least 3 characters is required (who said what, their reference)');
  assert.match(discrepancyNoteRefusal('card 6222 0212 3456 7890 018') ?? '', /card number/);
  assert.equal(discrepancyNoteRefusal('bank-a ops, ref 2026-118'), null);
  assert.equal(isDiscrepancyOverdue('open', 0, 1001, 1000), true);
  assert.equal(isDiscrepancyOverdue('open', 0, 1000, 1000), false);
  assert.equal(isDiscrepancyOverdue('resolved', 0, 5000, 1000), false);
});
