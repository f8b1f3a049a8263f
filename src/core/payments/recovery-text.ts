// What happened to a payment that needed more than one attempt, in words a cashier and a customer
// can read ("approved on the second try; the first try was reversed, not charged"). Built from the
// attempts alone, so the HTTP view, a replay and the terminal's DE 63 always say the same thing.
import type { AttemptOutcome, BilingualText } from '../vocabulary.ts';

const ordinalsEn = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

function ordinalEn(seq: number): string {
  return ordinalsEn[seq - 1] ?? `${seq}th`;
}

function earlierEn(outcome: AttemptOutcome): string {
  switch (outcome) {
    case 'reversed':
      return 'was reversed, not charged';
    case 'not_sent':
      return 'was not sent, not charged';
    case 'declined':
      return 'was declined, not charged';
    case 'unknown':
      return 'has an unknown outcome and is being reversed';
    case 'approved':
      return 'was approved';
  }
}

function earlierZh(outcome: AttemptOutcome): string {
  switch (outcome) {
    case 'reversed':
      return '已冲正，未扣款';
    case 'not_sent':
      return '未发出，未扣款';
    case 'declined':
      return '被拒绝，未扣款';
    case 'unknown':
      return '结果未知，正在冲正';
    case 'approved':
      return '已批准';
  }
}

/** Null for a payment of one attempt (nothing to explain); otherwise how each try ended, in zh-CN and en. */
export function describeRecovery(attempts: readonly { readonly seq: number; readonly outcome: AttemptOutcome }[]): BilingualText | null {
  if (attempts.length < 2) return null;
  const ordered = [...attempts].sort((a, b) => a.seq - b.seq);
  const approved = ordered.find((attempt) => attempt.outcome === 'approved');
  const earlier = ordered.filter((attempt) => attempt !== approved);
  const earlierTextEn = earlier.map((attempt) => `the ${ordinalEn(attempt.seq)} try ${earlierEn(attempt.outcome)}`).join('; ');
  const earlierTextZh = earlier.map((attempt) => `第${attempt.seq}次${earlierZh(attempt.outcome)}`).join('；');
  if (approved !== undefined) {
    return { en: `Approved on the ${ordinalEn(approved.seq)} try; ${earlierTextEn}.`, zh: `第${approved.seq}次尝试成功；${earlierTextZh}。` };
  }
  return { en: `Not approved after ${ordered.length} tries: ${earlierTextEn}.`, zh: `共尝试${ordered.length}次未成功：${earlierTextZh}。` };
}
