// Goal: the words that tell a cashier how the tries of a payment ended match its attempts. Method: one
// table row per attempt history, in both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRecovery } from '../../../src/core/payments/recovery-text.ts';

test('table: how the tries of a payment ended', () => {
  const rows: Array<[string, Array<'approved' | 'declined' | 'not_sent' | 'unknown' | 'reversed'>, { en: string; zh: string } | null]> = [
    ['one attempt: nothing to explain', ['approved'], null],
    ['approved after a reversal', ['reversed', 'approved'], { en: 'Approved on the second try; the first try was reversed, not charged.', zh: '第2次尝试成功；第1次已冲正，未扣款。' }],
    ['approved on the third try', ['not_sent', 'reversed', 'approved'], { en: 'Approved on the third try; the first try was not sent, not charged; the second try was reversed, not charged.', zh: '第3次尝试成功；第1次未发出，未扣款；第2次已冲正，未扣款。' }],
    ['never approved', ['reversed', 'unknown'], { en: 'Not approved after 2 tries: the first try was reversed, not charged; the second try has an unknown outcome and is being reversed.', zh: '共尝试2次未成功：第1次已冲正，未扣款；第2次结果未知，正在冲正。' }],
  ];
  for (const [name, outcomes, expected] of rows) {
    assert.deepEqual(describeRecovery(outcomes.map((outcome, index) => ({ seq: index + 1, outcome }))), expected, name);
  }
});
