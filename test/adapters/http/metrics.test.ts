// Goal: attempts are counted with the right outcome, code and channel, and the scrape-time gauges read their sources. Method: a table of channel answers through observeSendResult, an instrumented fake channel, and the rendered Prometheus text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, instrumentChannel, observeSendResult } from '../../../src/adapters/http/metrics.ts';
import type { ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';

const replyWith = (code: string | undefined): ChannelSendResult => ({
  kind: 'reply',
  message: { mti: '0210', fields: code === undefined ? {} : { 39: code } },
  sentAtMs: 0,
  latencyMs: 42,
});

test('a channel answer maps to the attempt outcome the engine records', () => {
  const rows: Array<[ChannelSendResult, { outcome: string; code: string; latencyMs: number | null }]> = [
    [replyWith('00'), { outcome: 'approved', code: '00', latencyMs: 42 }],
    [replyWith('51'), { outcome: 'declined', code: '51', latencyMs: 42 }],
    [replyWith('N7'), { outcome: 'declined', code: 'N7', latencyMs: 42 }],
    [replyWith(undefined), { outcome: 'unknown', code: 'malformed_reply', latencyMs: 42 }],
    [replyWith('x!'), { outcome: 'unknown', code: 'malformed_reply', latencyMs: 42 }],
    [{ kind: 'not_sent', reason: 'no_connection', detail: '' }, { outcome: 'not_sent', code: 'no_connection', latencyMs: null }],
    [{ kind: 'no_reply', reason: 'timeout', sentAtMs: 0 }, { outcome: 'unknown', code: 'timeout', latencyMs: 900 }],
  ];
  for (const [result, expected] of rows) {
    const observed = observeSendResult('bank-a', result, 900);
    assert.deepEqual({ outcome: observed.outcome, code: observed.code, latencyMs: observed.latencyMs }, expected);
    assert.equal(observed.channel, 'bank-a');
  }
});

test('an instrumented channel counts sales and pre-authorizations, not reversals or echoes', async () => {
  const metrics = createMetrics({ collectDefault: false });
  const channel = instrumentChannel({ name: 'bank-b', send: async () => replyWith('00') }, metrics);
  for (const mti of ['0200', '0100', '0400', '0401', '0800']) await channel.send({ mti, fields: {} }, { timeoutMs: 100 });
  const text = await metrics.render();
  assert.match(text, /reswipe_attempts_total\{outcome="approved",code="00",channel="bank-b"\} 2\n/);
  assert.match(text, /reswipe_attempt_latency_seconds_count\{channel="bank-b"\} 2\n/);
});

test('gauges read the reversal queue and terminal connections at scrape time', async () => {
  const metrics = createMetrics({ collectDefault: false });
  let pending = 3;
  metrics.setSources({
    reversalQueueStats: async () => ({ pending, oldestPendingCreatedAtMs: 10_000 }),
    terminalConnections: () => 7,
    nowMs: () => 70_000,
  });
  let text = await metrics.render();
  assert.match(text, /reswipe_reversal_queue_depth 3\n/);
  assert.match(text, /reswipe_reversal_queue_oldest_age_seconds 60\n/);
  assert.match(text, /reswipe_terminal_connections 7\n/);
  pending = 0;
  text = await metrics.render();
  assert.match(text, /reswipe_reversal_queue_depth 0\n/);
});

test('payments are counted by status; default process metrics are on unless turned off', async () => {
  const metrics = createMetrics();
  metrics.recordPayment('declined');
  metrics.recordPayment('declined');
  const text = await metrics.render();
  assert.match(text, /reswipe_payments_total\{status="declined"\} 2\n/);
  assert.match(text, /process_cpu_user_seconds_total/);
  assert.doesNotMatch(await createMetrics({ collectDefault: false }).render(), /process_cpu_user_seconds_total/);
});

test('store failures after a send and the reversals held in memory are read from the engine at scrape time', async () => {
  const metrics = createMetrics({ collectDefault: false });
  let stats = { storeFailuresAfterSend: 2, reversalsHeld: 1 };
  metrics.setSources({ engineRecovery: () => stats });
  let text = await metrics.render();
  assert.match(text, /reswipe_store_failures_after_send_total 2\n/);
  assert.match(text, /reswipe_reversals_held_in_memory 1\n/);
  stats = { storeFailuresAfterSend: 2, reversalsHeld: 0 };
  text = await metrics.render();
  assert.match(text, /reswipe_store_failures_after_send_total 2\n/);
  assert.match(text, /reswipe_reversals_held_in_memory 0\n/);
});
