// Goal: `reswipe analytics rebuild` fills the analytics rollup from the whole payment journal, also for
// payments that were never projected, and says how many entries it read.
// Method: answered sales written into a temp SQLite file through the store (journalled, rollup empty),
// then the real command in a child process; the rollup is read back through the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { envWithoutReswipe, runReswipe } from '../../support/reswipe-process.ts';
import { baseAtMs, merchant, payment } from '../../adapters/store/store-fixtures.ts';

test('reswipe analytics rebuild rolls up every journalled sale', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-analytics-cli-'));
  const url = `sqlite:${join(dir, 'gw.db')}`;
  try {
    const store = await openStore(url);
    try {
      await store.write((tx) => tx.upsertMerchant(merchant('M1')));
      for (const [id, status] of [['p1', 'approved'], ['p2', 'declined'], ['p3', 'approved']] as const) {
        const pending = payment(id, 'M1', { status: 'pending', responseCode: null });
        await store.write((tx) => tx.insertPayment(pending));
        await store.write((tx) => tx.updatePayment(pending, { ...pending, status, responseCode: status === 'approved' ? '00' : '05', updatedAtMs: pending.updatedAtMs + 1 }));
      }
      assert.deepEqual(await store.sumRollup({ fromMs: 0, toMs: baseAtMs * 2, groupBy: [], rowsMax: 10 }), [], 'nothing projected yet');
    } finally {
      await store.close();
    }
    const run = runReswipe(['analytics', 'rebuild', '--json'], { cwd: process.cwd(), env: envWithoutReswipe({ RESWIPE_DATABASE_URL: url }) });
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { entries: number }).entries, 3);
    const after = await openStore(url);
    try {
      const rows = await after.sumRollup({ fromMs: 0, toMs: baseAtMs * 2, groupBy: ['outcome'], rowsMax: 10 });
      assert.deepEqual(Object.fromEntries(rows.map((row) => [row.group.outcome, row.values.payments])), { approved: 2, declined: 1 });
    } finally {
      await after.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
