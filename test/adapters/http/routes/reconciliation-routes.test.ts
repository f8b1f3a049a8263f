// Goal: /v1/reconciliation lists runs and the discrepancy queue to admin keys only, and acts on a
// discrepancy with an Idempotency-Key (replayed; another body is 422), refusals as problem+json with
// stable codes, every action audited. Method: Fastify inject over the real app and SQLite store, with
// a run and discrepancies written through the store port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createHttpFixture, newIdempotencyKey, type HttpFixture } from '../http-fixture.ts';
import type { DiscrepancyRecord } from '../../../../src/core/ports/store.ts';
import { line, run } from '../../store/recon-store-behaviour.ts';

function discrepancy(id: string, merchantId: string, createdAtMs: number): DiscrepancyRecord {
  return {
    id, runId: 'rcn_1', channel: 'bank-a', businessDate: '2025-11-25', category: 'amount', lineNo: 1, attemptId: null, paymentId: null, merchantId, theirsMinor: 20_100, oursMinor: 20_000, differenceMinor: 100,
    causeCode: 'amount_differs', causeZh: '金额不符', causeEn: 'amounts differ', state: 'open', adjustmentMinor: null, overdueAtMs: null, createdAtMs, updatedAtMs: createdAtMs, version: 1,
  };
}

async function seed(fixture: HttpFixture): Promise<string> {
  const merchantId = (await fixture.engine.store.listMerchants())[0]?.id as string;
  await fixture.engine.store.write(async (tx) => {
    await tx.insertReconRun(run('rcn_1', { state: 'done', linesTotal: 1, discrepancies: 2 }));
    await tx.insertReconLines([line('rcn_1', 1, { result: 'discrepancy' })]);
    await tx.insertDiscrepancies([discrepancy('dsc_1', merchantId, 1000), discrepancy('dsc_2', merchantId, 2000)]);
  });
  return merchantId;
}

function post(fixture: HttpFixture, id: string, payload: unknown, key: string, idempotencyKey = newIdempotencyKey()) {
  return fixture.app.inject({ method: 'POST', url: `/v1/reconciliation/discrepancies/${id}/actions`, headers: { ...bearer(key), 'content-type': 'application/json', 'idempotency-key': idempotencyKey }, payload: JSON.stringify(payload) });
}

test('runs and discrepancies are read by admin keys only, paged by cursor', async () => {
  const fixture = await createHttpFixture();
  try {
    await seed(fixture);
    const merchant = await fixture.app.inject({ method: 'GET', url: '/v1/reconciliation/runs', headers: bearer(fixture.merchantKey) });
    assert.equal(merchant.statusCode, 403);
    const runs = await fixture.app.inject({ method: 'GET', url: '/v1/reconciliation/runs?channel=bank-a', headers: bearer(fixture.adminKey) });
    assert.equal(runs.statusCode, 200, runs.body);
    assert.deepEqual((runs.json() as { data: Array<{ id: string }> }).data.map((r) => r.id), ['rcn_1']);
    const one = await fixture.app.inject({ method: 'GET', url: '/v1/reconciliation/runs/rcn_1', headers: bearer(fixture.adminKey) });
    assert.deepEqual((one.json() as { byCategory: unknown }).byCategory, { amount: 2 });
    const page1 = await fixture.app.inject({ method: 'GET', url: '/v1/reconciliation/discrepancies?state=open&limit=1', headers: bearer(fixture.adminKey) });
    const body1 = page1.json() as { data: Array<{ id: string; causeZh: string }>; nextCursor: string };
    assert.deepEqual(body1.data.map((d) => d.id), ['dsc_1']);
    assert.equal(body1.data[0]?.causeZh, '金额不符');
    const page2 = await fixture.app.inject({ method: 'GET', url: `/v1/reconciliation/discrepancies?state=open&limit=1&after=${body1.nextCursor}`, headers: bearer(fixture.adminKey) });
    assert.deepEqual((page2.json() as { data: Array<{ id: string }> }).data.map((d) => d.id), ['dsc_2']);
    const missing = await fixture.app.inject({ method: 'GET', url: '/v1/reconciliation/discrepancies/dsc_9', headers: bearer(fixture.adminKey) });
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.json() as { code: string }).code, 'RSW_RECON_DISCREPANCY_NOT_FOUND');
  } finally {
    await fixture.close();
  }
});

test('actions: idempotent, refused when final, audited; a resolution carries its adjustment', async () => {
  const fixture = await createHttpFixture();
  try {
    const merchantId = await seed(fixture);
    const denied = await post(fixture, 'dsc_1', { action: 'investigate', note: 'asked bank-a' }, fixture.merchantKey);
    assert.equal(denied.statusCode, 403);
    const key = newIdempotencyKey();
    const first = await post(fixture, 'dsc_1', { action: 'resolve', note: 'bank-a confirms 201.00, ref 118', adjustmentMinor: 100 }, fixture.adminKey, key);
    assert.equal(first.statusCode, 200, first.body);
    const view = first.json() as { state: string; actions: unknown[]; adjustment: { amountMinor: number; merchantId: string; batchId: null } };
    assert.equal(view.state, 'resolved');
    assert.equal(view.actions.length, 1);
    assert.deepEqual([view.adjustment.amountMinor, view.adjustment.merchantId, view.adjustment.batchId], [100, merchantId, null]);
    const replay = await post(fixture, 'dsc_1', { action: 'resolve', note: 'bank-a confirms 201.00, ref 118', adjustmentMinor: 100 }, fixture.adminKey, key);
    assert.equal(replay.statusCode, 200);
    assert.equal(replay.body, first.body);
    const otherBody = await post(fixture, 'dsc_1', { action: 'write_off', note: 'x y z' }, fixture.adminKey, key);
    assert.equal(otherBody.statusCode, 422);
    const final = await post(fixture, 'dsc_1', { action: 'write_off', note: 'changed my mind' }, fixture.adminKey);
    assert.equal(final.statusCode, 409);
    assert.equal((final.json() as { code: string }).code, 'RSW_RECON_ACTION_REFUSED');
    const zero = await post(fixture, 'dsc_2', { action: 'resolve', note: 'nothing to move', adjustmentMinor: 0 }, fixture.adminKey);
    assert.equal(zero.statusCode, 409);
    const badAction = await post(fixture, 'dsc_2', { action: 'delete', note: 'nope' }, fixture.adminKey);
    assert.equal(badAction.statusCode, 400);
    const audit = await fixture.engine.store.listAudit({ limit: 10, action: 'recon.resolve' });
    assert.equal(audit.length, 1);
    assert.match(audit[0]?.actor ?? '', /^key:/);
    assert.equal((await fixture.engine.store.listEvents(0, 100, 'recon.discrepancy_changed')).length, 1);
  } finally {
    await fixture.close();
  }
});
