// Goal: the resolution note rule refuses what must not be stored in clear or cannot be shown on one
// line, and accepts what operators write; the view's state follows the reversals and the resolution.
// Method: table rows against resolutionNoteProblem, and three views built from store fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolutionNoteRefusal, toManualHandlingView } from '../../../src/core/payments/manual-handling-view.ts';
import { attempt, payment, reversal } from '../../adapters/store/store-fixtures.ts';

const notes: Array<[note: string, refusal: null | 'RSW_MANUAL_NOTE_INVALID' | 'RSW_CARD_NUMBER_IN_TEXT']> = [
  ['bank hotline 2026-12-05 23:10, agent Li, ref 88812: captured', null],
  ['工行客服 95588 确认已扣款, 工单号 20261205001', null],
  ['card 622202******0018 confirmed', null],
  ['ref 1234567 on 20261205', null],
  ['', 'RSW_MANUAL_NOTE_INVALID'],
  ['   ', 'RSW_MANUAL_NOTE_INVALID'],
  ['x'.repeat(500), null],
  ['x'.repeat(501), 'RSW_MANUAL_NOTE_INVALID'],
  ['line one\nline two', 'RSW_MANUAL_NOTE_INVALID'],
  ['card 6222020000000000018 paid', 'RSW_CARD_NUMBER_IN_TEXT'],
  ['card 6222 0200 0000 0000 018 paid', 'RSW_CARD_NUMBER_IN_TEXT'],
  ['card 6222-0200-0000-0018 paid (fails Luhn: not a card number)', null],
  ['card 6222-0200-0000-0000-018 paid', 'RSW_CARD_NUMBER_IN_TEXT'],
];

for (const [index, [note, refusal]] of notes.entries()) {
  // The title goes to the test log: a card number in it (digits, spaces or dashes) shows only its
  // first six and last four digits.
  const shown = note.slice(0, 40).replace(/\d(?:[ -]?\d){12,}/g, (run) => {
    const digits = run.replace(/\D/g, '');
    return `${digits.slice(0, 6)}...${digits.slice(-4)}`;
  });
  test(`note ${index + 1} ${JSON.stringify(shown)}: ${refusal ?? 'accepted'}`, () => {
    assert.equal(resolutionNoteRefusal(note)?.code ?? null, refusal);
  });
}

test('the view is open, retrying or resolved, with reversals in attempt order and the card masked', () => {
  const flagged = payment('pay_v', 'm1', { status: 'pending', manualHandlingSinceMs: Date.UTC(2026, 11, 5, 12) });
  const first = attempt('att_1', 'pay_v', { seq: 1, outcome: 'unknown' });
  const second = attempt('att_2', 'pay_v', { seq: 2, outcome: 'unknown', channel: 'bank-b' });
  const dead = [
    { attempt: second, reversal: reversal('rev_att_2', 'att_2', 'pay_v', { state: 'dead', tries: 6, channel: 'bank-b' }) },
    { attempt: first, reversal: reversal('rev_att_1', 'att_1', 'pay_v', { state: 'dead', tries: 6 }) },
  ];
  const open = toManualHandlingView(flagged, dead, null);
  assert.equal(open.state, 'open');
  assert.deepEqual(open.reversals.map((r) => [r.attemptSeq, r.id]), [[1, 'rev_att_1'], [2, 'rev_att_2']]);
  assert.equal(open.manualHandlingSince, '2026-12-05T12:00:00.000Z');
  assert.match(open.cardMasked, /^\d{6}\*+\d{4}$/);
  const retrying = toManualHandlingView(flagged, [{ ...dead[0]!, reversal: { ...dead[0]!.reversal, state: 'pending', tries: 0 } }, dead[1]!], null);
  assert.equal(retrying.state, 'retrying');
  const resolved = toManualHandlingView(flagged, dead, { paymentId: 'pay_v', outcome: 'not-charged', note: 'bank: nothing', actor: 'cli:ops', atMs: Date.UTC(2026, 11, 5, 13) });
  assert.deepEqual([resolved.state, resolved.resolution?.outcome, resolved.resolution?.at], ['resolved', 'not-charged', '2026-12-05T13:00:00.000Z']);
});
