// Goal: a reply that comes after its sale gave up on it never leaves money moved without a reversal.
// Method: the real sale use cases on SQLite with a bank that never answers the sale in time; its late
// approval is fed to handleUnmatchedReply, then the events and the reversal queue are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sale } from './sale-fixture.ts';
import { withFixture } from './sale-test-helpers.ts';

test('a late approval for an unknown attempt keeps its reversal queued (idempotently)', async () => {
  const script = (request: import('../../../src/core/iso8583/index.ts').IsoMessage) =>
    request.mti === '0200' ? { kind: 'no_reply' as const, reason: 'timeout' as const, sentAtMs: Date.now() } : { kind: 'not_sent' as const, reason: 'no_connection' as const, detail: 'down' };
  await withFixture({ scripts: [script], settings: { terminalTimeoutMs: 800 } }, async ({ engine, store, channels }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    const saleMessage = channels[0]!.sales()[0]!;
    await engine.handleUnmatchedReply('bank-a', { mti: '0210', fields: { ...saleMessage.fields, 39: '00' } }, { late: true, channel: 'bank-a' });
    assert.equal((await store.listEvents(0, 100, 'payment.late_reply')).length, 1);
    const stats = await store.reversalQueueStats();
    assert.equal(stats.pending + stats.dead, 1, 'exactly one reversal for the attempt');
  });
});
