// The reconciliation part of the store behaviour suite (migration 0015): runs, lines, the journal
// join by RRN and by STAN + DE 7, the ours-only scan, discrepancies with compare-and-set, queue
// actions and settlement adjustments. Called by store-behaviour.ts, so it runs on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { DiscrepancyRecord, ReconLineRecord, ReconRunRecord, Store } from '../../../src/core/ports/store.ts';
import { attempt, baseAtMs, feeLine, merchant, payment, reversal, terminal } from './store-fixtures.ts';

export function run(id: string, overrides: Partial<ReconRunRecord> = {}): ReconRunRecord {
  return {
    id,
    channel: 'bank-a',
    businessDate: '2025-11-25',
    layout: 'reswipe-csv',
    fileName: 'bank-a-20251125.csv',
    fileSha256: 'ab'.repeat(32),
    state: 'importing',
    linesTotal: 0,
    linesMatched: 0,
    discrepancies: 0,
    theirsMinor: 0,
    oursMinor: 0,
    actor: 'cli:test',
    startedAtMs: baseAtMs,
    finishedAtMs: null,
    error: null,
    ...overrides,
  };
}

export function line(runId: string, lineNo: number, overrides: Partial<ReconLineRecord> = {}): ReconLineRecord {
  return {
    runId,
    lineNo,
    rrn: null,
    stan: null,
    terminalId: null,
    transmittedAt: null,
    lineDate: '2025-11-25',
    authCode: null,
    kind: 'sale',
    status: 'settled',
    amountMinor: 100,
    feeMinor: null,
    cardMasked: '622202******0123',
    attemptId: null,
    paymentId: null,
    result: 'unmatched',
    ...overrides,
  };
}

function discrepancy(id: string, runId: string, overrides: Partial<DiscrepancyRecord> = {}): DiscrepancyRecord {
  return {
    id,
    runId,
    channel: 'bank-a',
    businessDate: '2025-11-25',
    category: 'amount',
    lineNo: 1,
    attemptId: null,
    paymentId: null,
    merchantId: 'm1',
    theirsMinor: 100,
    oursMinor: 90,
    differenceMinor: 10,
    causeCode: 'amount_differs',
    causeZh: '金额不符',
    causeEn: 'amounts differ',
    state: 'open',
    adjustmentMinor: null,
    overdueAtMs: null,
    createdAtMs: baseAtMs,
    updatedAtMs: baseAtMs,
    version: 1,
    ...overrides,
  };
}

export function defineReconStoreBehaviour(withStore: (title: string, body: (store: Store) => Promise<void>) => void): void {
  withStore('reconciliation: one run per channel and day unless failed; lines stored in bulk and read back in order', async (store) => {
    await store.write((tx) => tx.insertReconRun(run('r1')));
    const second = await store.write((tx) => tx.insertReconRun(run('r2'))).catch((error: unknown) => error);
    assert.ok(isReswipeError(second, 'RSW_STORE_CONFLICT') && second.params.constraint === 'recon_runs_channel_date_key', String(second));
    await store.write((tx) => tx.updateReconRun({ ...run('r1'), state: 'failed', error: 'bad line 3' }));
    await store.write((tx) => tx.insertReconRun(run('r2')));
    assert.equal((await store.findReconRun('bank-a', '2025-11-25'))?.id, 'r2');
    const lines = Array.from({ length: 1234 }, (_, n) => line('r2', n + 1, { rrn: String(n).padStart(12, '0'), result: n % 2 === 0 ? 'matched' : 'unmatched' }));
    await store.write((tx) => tx.insertReconLines(lines));
    const page = await store.listReconLines('r2', { limit: 5, afterLineNo: 10 });
    assert.deepEqual(page.map((l) => l.lineNo), [11, 12, 13, 14, 15]);
    assert.deepEqual(page[0], lines[10]);
    const unmatched = await store.listReconLines('r2', { limit: 3, result: 'unmatched' });
    assert.deepEqual(unmatched.map((l) => l.lineNo), [2, 4, 6]);
    await store.write((tx) => tx.settleReconLine('r2', 2, { result: 'discrepancy', attemptId: null, paymentId: null }));
    assert.deepEqual((await store.listReconLines('r2', { limit: 1, result: 'unmatched' })).map((l) => l.lineNo), [4]);
    await store.write((tx) => tx.deleteReconRunContent('r2'));
    assert.deepEqual(await store.listReconLines('r2', { limit: 10 }), []);
    assert.deepEqual((await store.listReconRuns({ limit: 10, channel: 'bank-a' })).map((r) => r.id).sort(), ['r1', 'r2']);
  });

  withStore('reconciliation: the journal join finds attempts by RRN and by STAN + DE 7, with fees, reversal and a matched line', async (store) => {
    await store.write(async (tx) => {
      await tx.upsertMerchant(merchant('m1'));
      await tx.upsertTerminal(terminal('t1', 'm1'));
      await tx.insertPayment(payment('p1', 'm1', { terminalId: 't1', amountMinor: 5000 }));
      await tx.insertAttempt(attempt('a1', 'p1', { outcome: 'approved', rrn: '000000000111', authCode: 'AUTH01', stan: '000011', transmittedAt: '1125100000' }));
      await tx.insertFeeLine(feeLine('f1', 'p1', 'm1', { feeMinor: 30 }));
      await tx.insertFeeLine(feeLine('f2', 'p1', 'm1', { feeMinor: 5 }));
      await tx.insertPayment(payment('p2', 'm1', { status: 'reversed', amountMinor: 700, createdAtMs: baseAtMs + 1 }));
      await tx.insertAttempt(attempt('a2', 'p2', { outcome: 'reversed', stan: '000012', transmittedAt: '1125100100' }));
      await tx.insertReversal(reversal('v2', 'a2', 'p2', { state: 'done', completedAtMs: baseAtMs + 5000 }));
      await tx.insertPayment(payment('p3', 'm1', { amountMinor: 900, createdAtMs: baseAtMs + 2 }));
      await tx.insertAttempt(attempt('a3', 'p3', { outcome: 'approved', rrn: '000000000333', stan: '000013', transmittedAt: '1125100200', channel: 'bank-b' }));
      await tx.insertReconRun(run('r1'));
    });
    const found = await store.findJournalEntries('r1', 'bank-a', { rrns: ['000000000111', '000000000333'], stanKeys: [{ stan: '000012', transmittedAt: '1125100100' }, { stan: '000012', transmittedAt: '1125100101' }] });
    const byId = new Map(found.map((e) => [e.attemptId, e]));
    assert.deepEqual([...byId.keys()].sort(), ['a1', 'a2'], 'a3 is on another channel; the wrong DE 7 finds nothing');
    assert.equal(byId.get('a1')?.feeMinor, 35);
    assert.equal(byId.get('a1')?.amountMinor, 5000);
    assert.equal(byId.get('a1')?.reversal, null);
    assert.equal(byId.get('a1')?.matchedLineNo, null);
    assert.deepEqual(byId.get('a2')?.reversal, { state: 'done', reasonCode: '98', createdAtMs: baseAtMs, completedAtMs: baseAtMs + 5000 });
    assert.equal(byId.get('a2')?.feeMinor, null);
    assert.equal(byId.get('a2')?.paymentStatus, 'reversed');

    const window = { fromMs: baseAtMs, toMs: baseAtMs + 10 };
    assert.deepEqual((await store.listUnmatchedJournal('r1', 'bank-a', window, { limit: 10 })).map((e) => e.attemptId), ['a1'], 'only approved attempts are expected');
    await store.write((tx) => tx.insertReconLines([line('r1', 7, { attemptId: 'a1', paymentId: 'p1', result: 'matched' })]));
    assert.deepEqual(await store.listUnmatchedJournal('r1', 'bank-a', window, { limit: 10 }), []);
    const again = await store.findJournalEntries('r1', 'bank-a', { rrns: ['000000000111'], stanKeys: [] });
    assert.equal(again[0]?.matchedLineNo, 7);
    assert.deepEqual(await store.listUnmatchedJournal('r1', 'bank-a', window, { limit: 10, after: { createdAtMs: baseAtMs, attemptId: 'a1' } }), []);
  });

  withStore('reconciliation: discrepancies update by compare-and-set; actions and adjustments are kept; a batch takes its adjustments once', async (store) => {
    await store.write(async (tx) => {
      await tx.upsertMerchant(merchant('m1'));
      await tx.insertReconRun(run('r1'));
      await tx.insertDiscrepancies([discrepancy('d1', 'r1'), discrepancy('d2', 'r1', { createdAtMs: baseAtMs + 1, category: 'ours_only' })]);
    });
    const d1 = await store.getDiscrepancy('d1');
    assert.deepEqual(d1, discrepancy('d1', 'r1'));
    assert.equal(await store.write((tx) => tx.updateDiscrepancy(discrepancy('d1', 'r1'), { ...discrepancy('d1', 'r1'), state: 'investigating', updatedAtMs: baseAtMs + 9 })), true);
    assert.equal(await store.write((tx) => tx.updateDiscrepancy(discrepancy('d1', 'r1'), { ...discrepancy('d1', 'r1'), state: 'written_off' })), false, 'a stale version is refused');
    assert.deepEqual(await store.getDiscrepancy('d1'), { ...discrepancy('d1', 'r1'), state: 'investigating', updatedAtMs: baseAtMs + 9, version: 2 });
    assert.deepEqual((await store.listDiscrepancies({ limit: 10, state: 'open' })).map((d) => d.id), ['d2']);
    assert.deepEqual((await store.listDiscrepancies({ limit: 10, runId: 'r1', after: { createdAtMs: baseAtMs, id: 'd1' } })).map((d) => d.id), ['d2']);
    assert.deepEqual((await store.listDiscrepancies({ limit: 10, category: 'amount' })).map((d) => d.id), ['d1']);
    assert.deepEqual((await store.listDiscrepancies({ limit: 10, createdBeforeMs: baseAtMs + 1 })).map((d) => d.id), ['d1']);

    const action = { discrepancyId: 'd1', seq: 1, action: 'investigate' as const, stateBefore: 'open' as const, stateAfter: 'investigating' as const, note: 'asked bank-a', actor: 'cli:test', adjustmentMinor: null, atMs: baseAtMs + 9 };
    await store.write((tx) => tx.insertDiscrepancyAction(action));
    const twice = await store.write((tx) => tx.insertDiscrepancyAction(action)).catch((error: unknown) => error);
    assert.ok(isReswipeError(twice, 'RSW_STORE_CONFLICT'));
    assert.deepEqual(await store.listDiscrepancyActions('d1'), [action]);

    const adjustment = { id: 'adj1', discrepancyId: 'd1', merchantId: 'm1', amountMinor: -10, businessDate: '2025-11-25', reason: 'amount', batchId: null, createdAtMs: baseAtMs };
    await store.write((tx) => tx.insertSettlementAdjustment(adjustment));
    await store.write((tx) => tx.insertSettlementAdjustment({ ...adjustment, id: 'adj2', discrepancyId: 'd2', businessDate: '2025-11-27' }));
    const onEarlier = await store.write((tx) => tx.assignSettlementAdjustments('m1', '2025-11-24', 'stl_m1_2025-11-24'));
    assert.deepEqual(onEarlier, [], 'an adjustment never joins a batch dated before it');
    const on25 = await store.write((tx) => tx.assignSettlementAdjustments('m1', '2025-11-25', 'stl_m1_2025-11-25'));
    assert.deepEqual(on25, [{ ...adjustment, batchId: 'stl_m1_2025-11-25' }]);
    const on26 = await store.write((tx) => tx.assignSettlementAdjustments('m1', '2025-11-26', 'stl_m1_2025-11-26'));
    assert.deepEqual(on26, [], 'an adjustment is carried by one batch only');
    const again25 = await store.write((tx) => tx.assignSettlementAdjustments('m1', '2025-11-25', 'stl_m1_2025-11-25'));
    assert.deepEqual(again25.map((a) => a.id), ['adj1'], 'rebuilding the batch keeps its adjustment');
    const dup = await store.write((tx) => tx.insertSettlementAdjustment({ ...adjustment, id: 'adj3' })).catch((error: unknown) => error);
    assert.ok(isReswipeError(dup, 'RSW_STORE_CONFLICT') && dup.params.constraint === 'settlement_adjustments_discrepancy_key', String(dup));
  });
}
