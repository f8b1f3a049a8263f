// Goal: `reswipe standing` prints a merchant's month (text and --json) with fingerprint prefixes only,
// and refuses a bad merchant id (exit 2) and an unknown merchant. Method: seed a temp SQLite file through
// the store (a Mastercard card declined 9 times in a day in June 2026), then run the real CLI as a child process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { envWithoutReswipe, runReswipe } from '../../support/reswipe-process.ts';
import { attempt, merchant, payment } from '../../adapters/store/store-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-standing-'));
const databaseUrl = `sqlite:${join(dir, 'standing.db')}`;
after(() => rmSync(dir, { recursive: true, force: true }));
const pan = '5555555555554444';

function reswipe(...args: string[]) {
  return runReswipe(['standing', ...args], { env: envWithoutReswipe({ RESWIPE_DATABASE_URL: databaseUrl }) });
}

test('prints the month with fingerprint prefixes only; --json gives the HTTP shape; bad and unknown merchants are refused', async () => {
  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  const startMs = Date.parse('2026-06-10T10:00:00+08:00');
  try {
    await store.write(async (tx) => {
      await tx.upsertMerchant(merchant('m1'));
      for (let index = 0; index < 9; index++) {
        await tx.insertPayment(payment(`p${index}`, 'm1', { status: 'declined', cardBrand: 'mastercard', createdAtMs: startMs + index * 60_000, pan }));
        await tx.insertAttempt(attempt(`a${index}`, `p${index}`, { stan: String(index + 1).padStart(6, '0'), outcome: 'declined', responseCode: '05', createdAtMs: startMs + index * 60_000 + 1 }));
      }
    });
  } finally {
    await store.close();
  }
  const text = reswipe('--merchant', 'm1', '--month', '2026-06');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /merchant m1, month 2026-06, .*: near/);
  assert.match(text.stdout, /mastercard_declines_24h\s+near 9 of 10/);
  assert.ok(!text.stdout.includes(pan));
  const json = reswipe('--merchant', 'm1', '--month', '2026-06', '--json');
  assert.equal(json.status, 0, json.stderr);
  const body = JSON.parse(json.stdout) as { state: string; measures: Array<{ measure: string; worstCards?: Array<{ fingerprintPrefix: string }> }> };
  assert.equal(body.state, 'near');
  assert.match(body.measures.find((measure) => measure.measure === 'mastercard_declines_24h')?.worstCards?.[0]?.fingerprintPrefix ?? '', /^[0-9a-f]{12}$/);
  const bad = reswipe('--merchant', 'm 1');
  assert.equal(bad.status, 2, bad.stderr);
  const unknown = reswipe('--merchant', 'm9', '--month', '2026-06');
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /RSW_HTTP_NOT_FOUND|not found/i);
});
