// Goal: the drop folder imports a complete clearing file once (named <channel>_<YYYYMMDD>.<ext>),
// moves it to done/, and moves a refused one to failed/ with its reason; other names are left alone.
// Method: a temporary folder and SQLite store, polls driven by the test (no timing assertions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { parseDropFileName } from '../../../src/adapters/reconciliation/drop-folder.ts';
import { startReconciliationJobs } from '../../../src/app/reconciliation/reconciliation-jobs.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { defaultClearingColumns } from '../../../src/core/reconciliation/clearing-layout.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

test('drop-folder names give the channel and business date', () => {
  assert.deepEqual(parseDropFileName('bank-a_20260618.csv'), { channel: 'bank-a', businessDate: '2026-06-18' });
  assert.equal(parseDropFileName('bank-a-20260618.csv'), null);
  assert.equal(parseDropFileName('../x_20260618.csv'), null);
});

test('a complete file is imported once and moved to done/; a bad one goes to failed/ with its reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-drop-'));
  const drop = join(dir, 'drop');
  const store = await openStore(`sqlite:${join(dir, 'r.db')}`);
  const config = validateConfig({ reconciliation: { dropFolder: drop, dropPollIntervalMs: 3_600_000, overdueCheckIntervalMs: 3_600_000 } });
  const jobs = startReconciliationJobs({ store, clock: { nowMs: () => Date.now() }, logger: silent, config });
  try {
    writeFileSync(join(drop, 'bank-a_20260618.csv'), `${defaultClearingColumns.join(',')}\n2026-06-18,,T1,,,000000000001,,sale,settled,100,,CNY,,\n`);
    writeFileSync(join(drop, 'bank-b_20260618.csv'), `${defaultClearingColumns.join(',')}\n2026-06-18,,T1,,,000000000001,,sale,settled,1.5,,CNY,,\n`);
    writeFileSync(join(drop, 'notes.txt'), 'not a clearing file');
    assert.equal(await jobs.pollDropFolder(), 0, 'the first poll only notes the sizes');
    assert.equal(await jobs.pollDropFolder(), 1);
    assert.ok(existsSync(join(drop, 'done', 'bank-a_20260618.csv')));
    assert.ok(existsSync(join(drop, 'failed', 'bank-b_20260618.csv')));
    assert.match(readFileSync(join(drop, 'failed', 'bank-b_20260618.csv.error.txt'), 'utf8'), /RSW_RECON_LINE_INVALID/);
    assert.ok(existsSync(join(drop, 'notes.txt')));
    const [run] = await store.listReconRuns({ limit: 5, channel: 'bank-a' });
    assert.equal(run?.actor, 'drop-folder');
    assert.equal(run?.discrepancies, 1, 'the line is theirs only: nothing was sent');
    assert.equal(await jobs.pollDropFolder(), 0);
  } finally {
    await jobs.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
