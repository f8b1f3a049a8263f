// Goal: `reswipe manual-handling` lists exactly the flagged payments, most recently flagged first, with masked cards, and refuses a bad limit. Method: seed a temp SQLite file through the store (one unflagged, two flagged payments), then run the real CLI as child processes on it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { envWithoutReswipe, runReswipe } from '../../support/reswipe-process.ts';
import { merchant, payment } from '../../adapters/store/store-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-manual-'));
const databaseUrl = `sqlite:${join(dir, 'manual.db')}`;
after(() => rmSync(dir, { recursive: true, force: true }));

function reswipe(...args: string[]) {
  return runReswipe(['manual-handling', ...args], { env: envWithoutReswipe({ RESWIPE_DATABASE_URL: databaseUrl }) });
}

test('lists flagged payments only, newest flag first, masked; an empty list says so; a bad limit exits 2', async () => {
  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    await store.write(async (tx) => {
      await tx.upsertMerchant(merchant('m1'));
      await tx.insertPayment(payment('pay_quiet', 'm1', { status: 'pending' }));
    });
  } finally {
    await store.close();
  }
  const empty = reswipe();
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /no payment waits for manual handling/);

  const again = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    await again.write(async (tx) => {
      await tx.insertPayment(payment('pay_old', 'm1', { status: 'pending', manualHandlingSinceMs: Date.UTC(2026, 10, 25, 10) }));
      await tx.insertPayment(payment('pay_new', 'm1', { status: 'approved', manualHandlingSinceMs: Date.UTC(2026, 10, 25, 11) }));
    });
  } finally {
    await again.close();
  }
  const listed = reswipe('--json');
  assert.equal(listed.status, 0, listed.stderr);
  const entries = JSON.parse(listed.stdout) as Array<{ id: string; manualHandlingSince: string; status: string; cardMasked: string }>;
  assert.deepEqual(entries.map((entry) => [entry.id, entry.manualHandlingSince, entry.status]), [
    ['pay_new', '2026-11-25T11:00:00.000Z', 'approved'],
    ['pay_old', '2026-11-25T10:00:00.000Z', 'pending'],
  ]);
  assert.match(entries[0]?.cardMasked ?? '', /^\d{6}\*+\d{4}$/);

  const text = reswipe('--limit', '1');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^pay_new {2}since 2026-11-25T11:00:00.000Z {2}approved sale/);
  assert.match(text.stdout, /1 payment flagged \(limit 1 reached/);
  assert.doesNotMatch(text.stdout, /pay_old|pay_quiet/);

  const bad = reswipe('--limit', '0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error RSW_BAD_ARGUMENT: .*\(field --limit\)/);
});
