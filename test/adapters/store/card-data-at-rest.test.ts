// Goal: no full PAN reaches the SQLite file or its write-ahead log when payments are stored.
// Method: store payments, attempts, events and audit records for several test PANs, then scan the
// raw bytes of the database and -wal files for each PAN in ASCII; a control run writes a PAN into
// a free-text field through the same store and proves the scan finds it, so the check can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { maskPan } from '../../../src/core/cards/pan.ts';
import { attempt, audit, merchant, payment } from './store-fixtures.ts';

const testPans = ['6222021234567890123', '4111111111111111', '5500005555555559', '6212345678901232', '378282246310005'];

/** Every file of a SQLite database that may hold its pages: the main file, the WAL and the shared-memory index. */
function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`].filter((file) => existsSync(file));
}

/** The PANs whose ASCII digits appear anywhere in the given files. */
function findPans(files: readonly string[], pans: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const pan of pans) if (bytes.includes(Buffer.from(pan, 'ascii'))) found.add(pan);
  }
  return [...found];
}

async function storePayments(path: string, leakInto: 'nowhere' | 'audit'): Promise<{ close(): Promise<void>; walSeen: boolean }> {
  const store = await openStore(`sqlite:${path}`);
  await store.write((tx) => tx.upsertMerchant(merchant('m1')));
  await Promise.all(
    testPans.map((pan, n) =>
      store.write(async (tx) => {
        await tx.insertPayment(payment(`p${n}`, 'm1', { pan }));
        await tx.insertAttempt(attempt(`a${n}`, `p${n}`, { stan: String(n + 1).padStart(6, '0') }));
        await tx.appendEvent({ type: 'payment.approved', subjectId: `p${n}`, payload: { panMasked: maskPan(pan) }, atMs: n });
        await tx.appendAudit(audit(`au${n}`, { detail: leakInto === 'audit' ? { careless: pan } : { panMasked: maskPan(pan) } }));
      }),
    ),
  );
  // Scanned while the store is open, so the freshest pages are still in the WAL.
  return { close: () => store.close(), walSeen: existsSync(`${path}-wal`) };
}

test('no full PAN is in the SQLite database file or its WAL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-card-data-'));
  try {
    const path = join(dir, 'store.db');
    const opened = await storePayments(path, 'nowhere');
    assert.ok(opened.walSeen, 'the store runs in WAL mode, so the WAL is scanned too');
    assert.deepEqual(findPans(databaseFiles(path), testPans), [], 'while open (WAL)');
    // The masked and fingerprinted forms are there: the scan looked at real data.
    const mainAndWal = Buffer.concat(databaseFiles(path).map((file) => readFileSync(file)));
    assert.ok(mainAndWal.includes(Buffer.from(maskPan(testPans[0] as string), 'ascii')));
    await opened.close();
    assert.deepEqual(findPans(databaseFiles(path), testPans), [], 'after close (checkpointed)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('control: the scan finds a PAN that was written on purpose', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-card-data-control-'));
  try {
    const plain = join(dir, 'plain.bin');
    writeFileSync(plain, Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(`x${testPans[1]}y`, 'ascii')]));
    assert.deepEqual(findPans([plain], testPans), [testPans[1]]);
    // Through the store into the WAL: the same scan must see a PAN that a careless caller put in free text.
    const path = join(dir, 'leaky.db');
    const opened = await storePayments(path, 'audit');
    try {
      assert.deepEqual(findPans(databaseFiles(path), testPans).sort(), [...testPans].sort());
    } finally {
      await opened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
