// Goal: `reswipe manual-handling` lists exactly the open flagged payments, most recently flagged first, with masked cards, and refuses a bad limit; `retry` and `resolve` act on one, audited as cli:<os user>, with events, and refuse what the rules refuse. Method: seed a temp SQLite file through the store (one unflagged, two flagged payments), then run the real CLI as child processes on it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { envWithoutReswipe, runReswipe } from '../../support/reswipe-process.ts';
import { userInfo } from 'node:os';
import { attempt, merchant, payment, reversal } from '../../adapters/store/store-fixtures.ts';

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
  assert.match(text.stdout, /^pay_new {2}since 2026-11-25T11:00:00.000Z {2}open {2}approved sale/);
  assert.match(text.stdout, /1 payment flagged \(limit 1 reached/);
  assert.doesNotMatch(text.stdout, /pay_old|pay_quiet/);

  const bad = reswipe('--limit', '0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error RSW_BAD_ARGUMENT: .*\(field --limit\)/);
});

/** A sale whose only attempt is unknown and whose reversal is dead: what the engine leaves for an operator. */
async function seedDeadLetter(paymentId: string, amountMinor: number): Promise<void> {
  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    await store.write(async (tx) => {
      if ((await tx.getMerchant('m1')) === null) await tx.upsertMerchant(merchant('m1'));
      const nowMs = Date.now();
      await tx.insertPayment(payment(paymentId, 'm1', { status: 'pending', amountMinor, createdAtMs: nowMs - 60_000, manualHandlingSinceMs: nowMs - 1_000 }));
      await tx.insertAttempt(attempt(`att_${paymentId}`, paymentId, { outcome: 'unknown', stan: String(amountMinor).padStart(6, '0'), createdAtMs: nowMs - 60_000 }));
      await tx.insertReversal(reversal(`rev_att_${paymentId}`, `att_${paymentId}`, paymentId, { state: 'dead', tries: 6, lastError: 'no reply: timeout', stan: String(amountMinor + 1).padStart(6, '0') }));
    });
  } finally {
    await store.close();
  }
}

test('resolve and retry act on one payment, audited as cli:<os user>, announced on the event stream; refusals exit 2 with their code', async () => {
  await seedDeadLetter('pay_cli_charged', 20_000);
  await seedDeadLetter('pay_cli_retry', 30_000);
  const actor = `cli:${userInfo().username}`;

  const badOutcome = reswipe('resolve', 'pay_cli_charged', '--outcome', 'yes', '--note', 'x');
  assert.equal(badOutcome.status, 2);
  assert.match(badOutcome.stderr, /error RSW_BAD_ARGUMENT: .*\(field --outcome\)/);
  const noNote = reswipe('resolve', 'pay_cli_charged', '--outcome', 'charged');
  assert.notEqual(noNote.status, 0, 'the note is mandatory');
  assert.match(noNote.stderr, /--note/);

  const resolved = reswipe('resolve', 'pay_cli_charged', '--outcome', 'charged', '--note', 'bank hotline, ref 4711: captured', '--json');
  assert.equal(resolved.status, 0, resolved.stderr);
  const view = JSON.parse(resolved.stdout) as { state: string; status: string; resolution: { outcome: string; actor: string } };
  assert.deepEqual([view.state, view.status, view.resolution.outcome, view.resolution.actor], ['resolved', 'approved', 'charged', actor]);

  const twice = reswipe('resolve', 'pay_cli_charged', '--outcome', 'not-charged', '--note', 'changed my mind');
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /error RSW_MANUAL_ALREADY_RESOLVED: payment pay_cli_charged was already resolved as charged \(field paymentId\)/);

  const retried = reswipe('retry', 'pay_cli_retry', '--note', 'line is back');
  assert.equal(retried.status, 0, retried.stderr);
  assert.match(retried.stdout, /^pay_cli_retry .* retrying .* rev_att_pay_cli_retry pending after 0/);
  const again = reswipe('retry', 'pay_cli_retry');
  assert.equal(again.status, 2);
  assert.match(again.stderr, /RSW_MANUAL_REVERSAL_IN_PROGRESS/);

  const listed = JSON.parse(reswipe('--json').stdout) as Array<{ id: string; state: string }>;
  assert.deepEqual(listed.filter((entry) => entry.id.startsWith('pay_cli_')).map((entry) => [entry.id, entry.state]), [['pay_cli_retry', 'retrying']], 'the resolved payment left the list');
  const shown = reswipe('show', 'pay_cli_charged');
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`resolved charged by ${actor} at .*: bank hotline, ref 4711: captured`));

  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    assert.equal((await store.getPayment('pay_cli_charged'))?.status, 'approved');
    assert.equal((await store.listFeeLines({ paymentId: 'pay_cli_charged' })).filter((line) => line.kind === 'fee').length, 1, 'charged: the fee is recorded as for an approved sale');
    const reversalRow = await store.getReversal('rev_att_pay_cli_retry');
    assert.deepEqual([reversalRow?.state, reversalRow?.tries], ['pending', 0], 'back in the queue with a fresh budget');
    assert.notEqual(reversalRow?.stan, '030001', 'with a fresh STAN');
    const audit = (await store.listAudit({ limit: 100 })).filter((record) => record.subjectId?.startsWith('pay_cli_')).map((record) => [record.subjectId, record.action, record.actor]);
    assert.deepEqual(audit.sort(), [
      ['pay_cli_charged', 'manual_handling.resolve', actor],
      ['pay_cli_retry', 'manual_handling.retry_reversal', actor],
    ]);
    const events = (await store.listEvents(0, 500)).filter((event) => event.subjectId?.startsWith('pay_cli_')).map((event) => `${event.subjectId} ${event.type}`);
    assert.ok(events.includes('pay_cli_charged payment.manual_resolved'));
    assert.ok(events.includes('pay_cli_retry payment.manual_retry'));
  } finally {
    await store.close();
  }
});
