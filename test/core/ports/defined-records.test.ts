// Goal: a merchant, terminal or channel definition (config file or management API) becomes the same store record either way: fresh records get the documented defaults, and a re-seed keeps what the gateway learnt while running. Method: build records with and without an existing one and compare them whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChannelRecord, buildMerchantRecord, buildTerminalRecord } from '../../../src/core/ports/defined-records.ts';
import type { ChannelRecord, MerchantRecord, TerminalRecord } from '../../../src/core/ports/store.ts';

const nowMs = 1_764_000_000_000;
const earlierMs = 1_700_000_000_000;
const definition = { id: 'M1', name: 'Shop', mcc: '5411', accepts: ['debit', 'credit'], limits: { perSaleMinor: 100 }, feePlan: 'standard', terminals: ['T1'] };

test('a new merchant is enabled and created now; its lists are copies of the definition', () => {
  const record = buildMerchantRecord(definition, null, nowMs);
  assert.deepEqual(record, { id: 'M1', name: 'Shop', mcc: '5411', accepts: ['debit', 'credit'], limits: { perSaleMinor: 100 }, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
  assert.notEqual(record.accepts, definition.accepts);
  assert.notEqual(record.limits, definition.limits);
  assert.equal('terminals' in record, false);
});

test('a re-seeded merchant keeps disabled and createdAtMs, and takes everything else from the definition', () => {
  const existing: MerchantRecord = { id: 'M1', name: 'Old', mcc: '5812', accepts: ['wechat'], limits: {}, feePlan: 'promo', disabled: true, createdAtMs: earlierMs, updatedAtMs: earlierMs };
  assert.deepEqual(buildMerchantRecord(definition, existing, nowMs), { ...buildMerchantRecord(definition, null, nowMs), disabled: true, createdAtMs: earlierMs });
});

test('a new terminal is active, signed off, in batch 000001, without limits, never seen', () => {
  assert.deepEqual(buildTerminalRecord('T1', 'M1', null, nowMs), { id: 'T1', merchantId: 'M1', state: 'active', signedOn: false, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
});

test('a re-seeded terminal keeps sign-on, batch, limits, last seen and a disabled state; any other state starts active', () => {
  const existing: TerminalRecord = { id: 'T1', merchantId: 'M0', state: 'disabled', signedOn: true, batchNo: '000042', limits: { perDayMinor: 5 }, lastSeenAtMs: earlierMs + 1, createdAtMs: earlierMs, updatedAtMs: earlierMs };
  assert.deepEqual(buildTerminalRecord('T1', 'M1', existing, nowMs), { ...existing, merchantId: 'M1', updatedAtMs: nowMs });
  for (const state of ['active', 'registered'] as const) {
    assert.equal(buildTerminalRecord('T1', 'M1', { ...existing, state }, nowMs).state, 'active', state);
  }
});

test("a channel takes every field from its definition, disabled included; only createdAtMs, an operator's holds and the file's definition survive", () => {
  const channel = { name: 'bank-a', host: '127.0.0.1', port: 9100, dialect: 'iso87-ascii', timeoutMs: 8000, priority: 1, disabled: false, acquirerId: '48020000' };
  const definition = { name: 'bank-a', host: '127.0.0.1', port: 9100, dialect: 'iso87-ascii', timeoutMs: 8000, priority: 1, disabled: false };
  const fresh = buildChannelRecord(channel, null, nowMs, 'file');
  assert.deepEqual(fresh, { ...definition, draining: false, circuitOverride: null, definedBy: 'file', fileDefinition: definition, createdAtMs: nowMs, updatedAtMs: nowMs });
  const hold = { state: 'open' as const, note: 'maintenance', byUser: 'user:ops', atMs: earlierMs, untilMs: null };
  const existing: ChannelRecord = { ...fresh, host: '10.0.0.1', disabled: true, draining: true, circuitOverride: hold, createdAtMs: earlierMs, updatedAtMs: earlierMs };
  // The config file knows nothing of draining or a forced circuit: a restart that re-applies it keeps them.
  assert.deepEqual(buildChannelRecord(channel, existing, nowMs, 'file'), { ...fresh, draining: true, circuitOverride: hold, createdAtMs: earlierMs });
  // Defined through the API: the file's definition last seeded is kept, to tell an edited file from an unchanged one.
  const byApi = buildChannelRecord({ ...definition, priority: 9 }, existing, nowMs, 'api');
  assert.equal(byApi.definedBy, 'api');
  assert.deepEqual(byApi.fileDefinition, definition);
  assert.equal(buildChannelRecord(definition, null, nowMs, 'api').fileDefinition, null);
});
