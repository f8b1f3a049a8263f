// Goal: every channel answer is classified the one way money safety needs: an approval carries its
// auth code and RRN, a decline moved nothing, "not sent" is safe to retry, and anything sent without a
// readable answer is unknown (to be reversed). Method: one table row per answer shape through classifyReply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyOutcome } from '../../../src/core/declines/index.ts';
import type { ChannelSendResult } from '../../../src/core/ports/channel.ts';
import { classifyReply, diagnosisOfResponseCode, type ReplyClass } from '../../../src/core/payments/classify-reply.ts';

const nowMs = 5_000;
const reply = (fields: Record<number, string>): ChannelSendResult => ({ kind: 'reply', message: { mti: '0210', fields }, sentAtMs: 4_000, latencyMs: 900 });

const cases: Array<{ name: string; result: ChannelSendResult; kind: ReplyClass['kind']; code: string; fields: ReplyClass['fields'] }> = [
  {
    name: 'approval with auth code and RRN (both trimmed)',
    result: reply({ 39: '00', 38: 'AB12  ', 37: ' 123456789012' }),
    kind: 'approved',
    code: '00',
    fields: { outcome: 'approved', sentAtMs: 4_000, latencyMs: 900, completedAtMs: nowMs, responseCode: '00', authCode: 'AB12', rrn: '123456789012' },
  },
  {
    name: 'approval without DE 37/38',
    result: reply({ 39: '00' }),
    kind: 'approved',
    code: '00',
    fields: { outcome: 'approved', sentAtMs: 4_000, latencyMs: 900, completedAtMs: nowMs, responseCode: '00', authCode: null, rrn: null },
  },
  {
    name: 'decline keeps its RRN, never an auth code',
    result: reply({ 39: '51', 38: 'XYZ123', 37: '999' }),
    kind: 'declined',
    code: '51',
    fields: { outcome: 'declined', sentAtMs: 4_000, latencyMs: 900, completedAtMs: nowMs, responseCode: '51', authCode: null, rrn: '999' },
  },
  {
    name: 'code missing from the catalogue is a decline (verdict fix)',
    result: reply({ 39: 'Z9' }),
    kind: 'declined',
    code: 'Z9',
    fields: { outcome: 'declined', sentAtMs: 4_000, latencyMs: 900, completedAtMs: nowMs, responseCode: 'Z9', authCode: null, rrn: null },
  },
  {
    name: 'reply without DE 39 is unknown, trusted for no field',
    result: reply({ 37: '123' }),
    kind: 'unknown',
    code: '98',
    fields: { outcome: 'unknown', sentAtMs: 4_000, latencyMs: 900, completedAtMs: nowMs },
  },
  {
    name: 'reply with an unreadable DE 39 is unknown',
    result: reply({ 39: '0a' }),
    kind: 'unknown',
    code: '98',
    fields: { outcome: 'unknown', sentAtMs: 4_000, latencyMs: 900, completedAtMs: nowMs },
  },
  {
    name: 'not sent: safe, nothing moved',
    result: { kind: 'not_sent', reason: 'no_connection', detail: 'down' },
    kind: 'not_sent',
    code: '91',
    fields: { outcome: 'not_sent', completedAtMs: nowMs },
  },
  {
    name: 'timeout: unknown',
    result: { kind: 'no_reply', reason: 'timeout', sentAtMs: 4_100 },
    kind: 'unknown',
    code: '98',
    fields: { outcome: 'unknown', sentAtMs: 4_100, completedAtMs: nowMs },
  },
  {
    name: 'reply refused for its MAC: unknown',
    result: { kind: 'no_reply', reason: 'bad_mac', sentAtMs: 4_100 },
    kind: 'unknown',
    code: '98',
    fields: { outcome: 'unknown', sentAtMs: 4_100, completedAtMs: nowMs },
  },
];

for (const row of cases) {
  test(`classifyReply: ${row.name}`, () => {
    const classified = classifyReply(row.result, nowMs);
    assert.equal(classified.kind, row.kind);
    assert.deepEqual(classified.fields, row.fields);
    assert.equal(classified.diagnosis.code, row.code);
  });
}

test('classifyReply: the unknown diagnoses name their cause', () => {
  assert.deepEqual(classifyReply({ kind: 'no_reply', reason: 'timeout', sentAtMs: 1 }, nowMs).diagnosis, classifyOutcome('no_reply'));
  assert.deepEqual(classifyReply({ kind: 'no_reply', reason: 'connection_lost', sentAtMs: 1 }, nowMs).diagnosis, classifyOutcome('no_reply'));
  const badMac = classifyReply({ kind: 'no_reply', reason: 'bad_mac', sentAtMs: 1 }, nowMs).diagnosis;
  const malformed = classifyReply({ kind: 'no_reply', reason: 'malformed_reply', sentAtMs: 1 }, nowMs).diagnosis;
  const unreadable = classifyReply(reply({ 39: '??' }), nowMs).diagnosis;
  assert.equal(malformed.meaning, unreadable.meaning);
  assert.notEqual(badMac.meaning, malformed.meaning);
  for (const diagnosis of [badMac, malformed, unreadable]) {
    assert.equal(diagnosis.outcome, 'unknown');
    assert.equal(diagnosis.verdict, 'wait');
  }
});

test('diagnosisOfResponseCode: approval, decline and an unknown code', () => {
  assert.equal(diagnosisOfResponseCode('00').outcome, 'approved');
  assert.equal(diagnosisOfResponseCode('51').outcome, 'declined');
  assert.equal(diagnosisOfResponseCode('Q7').verdict, 'fix');
});

