// Goal: the host's answer does to a follow-up exactly what money safety needs: a reversible follow-up
// is approved, declined (not sent included: nothing moved) or left pending and reversed; a refund
// advice stands unless the host refuses it (or it provably never left) and, unanswered, is marked sent
// so the forwarder repeats it as 0221. Method: one table row per delivery and channel answer, through
// classifyReply and decideFollowUpReply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelSendResult } from '../../../src/core/ports/channel.ts';
import { classifyReply } from '../../../src/core/payments/classify-reply.ts';
import { decideFollowUpReply } from '../../../src/core/payments/follow-up-reply.ts';

const nowMs = 5_000;
const answers: Record<string, ChannelSendResult> = {
  approved: { kind: 'reply', message: { mti: '0210', fields: { 39: '00', 38: 'AB12', 37: '123456789012' } }, sentAtMs: 4_000, latencyMs: 900 },
  declined: { kind: 'reply', message: { mti: '0210', fields: { 39: '51', 37: '999' } }, sentAtMs: 4_000, latencyMs: 900 },
  unreadable: { kind: 'reply', message: { mti: '0210', fields: { 39: '?', 37: '777' } }, sentAtMs: 4_000, latencyMs: 900 },
  notSent: { kind: 'not_sent', reason: 'no_connection', detail: 'down' },
  timeout: { kind: 'no_reply', reason: 'timeout', sentAtMs: 4_100 },
};

const rows: Array<[string, 'reversible' | 'advice', keyof typeof answers, { status: string; responseCode: string; reverse: boolean; event: string | null; told: string }]> = [
  ['a void approved', 'reversible', 'approved', { status: 'approved', responseCode: '00', reverse: false, event: null, told: '00' }],
  ['a void declined', 'reversible', 'declined', { status: 'declined', responseCode: '51', reverse: false, event: null, told: '51' }],
  ['a void never sent: nothing moved', 'reversible', 'notSent', { status: 'declined', responseCode: '91', reverse: false, event: null, told: '91' }],
  ['a void lost: reversed, told to wait', 'reversible', 'timeout', { status: 'pending', responseCode: '98', reverse: true, event: 'payment.unknown', told: '98' }],
  ['a void with an unreadable answer: reversed', 'reversible', 'unreadable', { status: 'pending', responseCode: '98', reverse: true, event: 'payment.unknown', told: '98' }],
  ['a refund acknowledged', 'advice', 'approved', { status: 'approved', responseCode: '00', reverse: false, event: null, told: '00' }],
  ['a refund refused by the host: nothing given back', 'advice', 'declined', { status: 'declined', responseCode: '51', reverse: false, event: 'payment.refund_refused_upstream', told: '51' }],
  ['a refund that never left: nothing given back', 'advice', 'notSent', { status: 'declined', responseCode: '91', reverse: false, event: 'payment.refund_refused_upstream', told: '91' }],
  ['a refund unanswered: stands, queued, never reversed', 'advice', 'timeout', { status: 'approved', responseCode: '00', reverse: false, event: 'payment.refund_queued', told: '00' }],
  ['a refund with an unreadable answer: stands, queued', 'advice', 'unreadable', { status: 'approved', responseCode: '00', reverse: false, event: 'payment.refund_queued', told: '00' }],
];

for (const [name, delivery, answer, want] of rows) {
  test(`decideFollowUpReply: ${name}`, () => {
    const decision = decideFollowUpReply(delivery, classifyReply(answers[answer] as ChannelSendResult, nowMs), nowMs);
    assert.deepEqual(
      { status: decision.payment.status, responseCode: decision.payment.responseCode, reverse: decision.reverse, event: decision.event, told: decision.diagnosis.code },
      want,
    );
    if (decision.payment.status === 'approved') assert.equal(decision.payment.decline ?? null, null, 'an approved follow-up carries no decline');
    else assert.equal(decision.payment.decline?.code, decision.payment.responseCode, 'the stored decline is the one the client is told');
  });
}

test('decideFollowUpReply: an approval keeps the host auth code and RRN; an unreadable answer is trusted for neither', () => {
  const approved = decideFollowUpReply('reversible', classifyReply(answers.approved as ChannelSendResult, nowMs), nowMs);
  assert.deepEqual({ authCode: approved.payment.authCode, rrn: approved.payment.rrn }, { authCode: 'AB12', rrn: '123456789012' });
  assert.equal(approved.attempt.outcome, 'approved');
  const unreadable = decideFollowUpReply('reversible', classifyReply(answers.unreadable as ChannelSendResult, nowMs), nowMs);
  assert.deepEqual({ authCode: unreadable.payment.authCode, rrn: unreadable.payment.rrn, outcome: unreadable.attempt.outcome }, { authCode: null, rrn: null, outcome: 'unknown' });
});

test('decideFollowUpReply: an unanswered refund advice stays pending, marked sent as a 0221 at the moment it left', () => {
  const queued = decideFollowUpReply('advice', classifyReply(answers.timeout as ChannelSendResult, nowMs), nowMs);
  assert.deepEqual(queued.attempt, { mti: '0221', sentAtMs: 4_100 }, 'no outcome: the attempt stays pending for the forwarder');
  const refused = decideFollowUpReply('advice', classifyReply(answers.notSent as ChannelSendResult, nowMs), nowMs);
  assert.deepEqual(refused.attempt, { outcome: 'not_sent', completedAtMs: nowMs });
});
