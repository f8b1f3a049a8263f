// Goal: importing a channel's clearing file ends with every line matched or in exactly one
// discrepancy, with the cause the journal supports; a resolution's adjustment joins the merchant's
// next settlement batch; old open discrepancies raise one event. Method: a temporary SQLite store
// with a day of sales written as the engine writes them, a CSV file read through the real streaming
// reader in tiny chunks (so chunk boundaries, duplicates across chunks and the second pass are
// crossed), then the queue actions and `settle run`'s use case. The first test runs on PostgreSQL too
// when RESWIPE_TEST_POSTGRES_URL is set (its own schema, dropped afterwards).
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { openClearingFile } from '../../../src/adapters/reconciliation/clearing-file-reader.ts';
import { importClearingFile } from '../../../src/app/reconciliation/import-clearing-file.ts';
import { actOnDiscrepancy } from '../../../src/app/reconciliation/act-on-discrepancy.ts';
import { raiseOverdueDiscrepancies } from '../../../src/app/reconciliation/raise-overdue-discrepancies.ts';
import { exportStatement, settleMerchantDay } from '../../../src/app/fees/settle-day.ts';
import { builtinHolidayCalendar } from '../../../src/core/fees/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { defaultChannelFormat } from '../../../src/core/reconciliation/channel-format.ts';
import type { DiscrepancyRecord, Store } from '../../../src/core/ports/store.ts';
import { attempt, feeLine, merchant, payment, reversal } from '../../adapters/store/store-fixtures.ts';

const at = (local: string): number => Date.parse(`${local}+08:00`);
const header = 'date,time,terminal_id,stan,transmitted_at,rrn,auth_code,kind,status,amount_minor,fee_minor,currency,merchant_id,card_masked';

interface Sale {
  id: string;
  amountMinor: number;
  createdAt: string;
  outcome?: 'approved' | 'reversed';
  rrn: string;
  stan: string;
  fee?: number;
  kind?: 'sale' | 'refund';
}

const sales: Sale[] = [
  { id: 'p01', amountMinor: 10_000, createdAt: '2026-06-18T09:00:00', rrn: '000000000001', stan: '000001', fee: 38 }, // matched by RRN
  { id: 'p02', amountMinor: 20_000, createdAt: '2026-06-18T09:10:00', rrn: '000000000002', stan: '000002', fee: 76 }, // amount differs
  { id: 'p03', amountMinor: 30_000, createdAt: '2026-06-18T09:20:00', rrn: '000000000003', stan: '000003', fee: 114 }, // fee differs
  { id: 'p04', amountMinor: 40_000, createdAt: '2026-06-18T09:30:00', rrn: '000000000004', stan: '000004', outcome: 'reversed' }, // reversal not applied upstream
  { id: 'p05', amountMinor: 50_000, createdAt: '2026-06-18T09:40:00', rrn: '000000000005', stan: '000005', fee: 190 }, // ours only
  { id: 'p06', amountMinor: 60_000, createdAt: '2026-06-18T09:50:00', rrn: '000000000006', stan: '000006', fee: 228 }, // reversed upstream
  { id: 'p07', amountMinor: 70_000, createdAt: '2026-06-18T10:00:00', rrn: '000000000007', stan: '000007', fee: 266 }, // matched by STAN + DE 7 (no RRN in the file)
  { id: 'p08', amountMinor: 80_000, createdAt: '2026-06-18T10:10:00', rrn: '000000000008', stan: '000008', fee: 304 }, // matched by auth code in pass 2
  { id: 'p09', amountMinor: 90_000, createdAt: '2026-06-18T22:59:30', rrn: '000000000009', stan: '000009', fee: 342 }, // near cut-off, ours only
  { id: 'p10', amountMinor: 1_000, createdAt: '2026-06-18T11:00:00', rrn: '000000000010', stan: '000010', fee: -4, kind: 'refund' }, // refund matched
];

function de7(local: string): string {
  const d = new Date(at(local));
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

async function seed(store: Store): Promise<void> {
  await store.write(async (tx) => {
    await tx.upsertMerchant(merchant('M1'));
    for (const s of sales) {
      const reversed = s.outcome === 'reversed';
      await tx.insertPayment(payment(s.id, 'M1', { kind: s.kind ?? 'sale', amountMinor: s.amountMinor, status: reversed ? 'reversed' : 'approved', rrn: reversed ? null : s.rrn, authCode: `AU${s.stan.slice(2)}`, createdAtMs: at(s.createdAt), updatedAtMs: at(s.createdAt) }));
      await tx.insertAttempt(attempt(`a${s.id}`, s.id, { outcome: reversed ? 'reversed' : 'approved', rrn: reversed ? null : s.rrn, authCode: reversed ? null : `AU${s.stan.slice(2)}`, stan: s.stan, transmittedAt: de7(s.createdAt), createdAtMs: at(s.createdAt), completedAtMs: at(s.createdAt) + 400 }));
      if (reversed) await tx.insertReversal(reversal(`v${s.id}`, `a${s.id}`, s.id, { state: 'done', stan: `9${s.stan.slice(1)}`, completedAtMs: at('2026-06-18T09:30:35') }));
      if (s.fee !== undefined) await tx.insertFeeLine(feeLine(`f${s.id}`, s.id, 'M1', { kind: s.fee < 0 ? 'fee_refund' : 'fee', feeMinor: s.fee, amountMinor: s.amountMinor, businessDate: '2026-06-18', createdAtMs: at(s.createdAt) }));
    }
  });
}

function row(s: Sale, overrides: Partial<Record<'rrn' | 'stan' | 'de7' | 'auth' | 'status' | 'amount' | 'fee' | 'kind' | 'date', string>> = {}): string {
  return [
    overrides.date ?? '2026-06-18',
    '',
    'T0000001',
    overrides.stan ?? s.stan,
    overrides.de7 ?? de7(s.createdAt),
    overrides.rrn ?? s.rrn,
    overrides.auth ?? `AU${s.stan.slice(2)}`,
    overrides.kind ?? s.kind ?? 'sale',
    overrides.status ?? 'settled',
    overrides.amount ?? String(s.amountMinor),
    overrides.fee ?? String(Math.abs(s.fee ?? 0)),
    'CNY',
    'M1',
    '622202******0018',
  ].join(',');
}

const [p01, p02, p03, p04, , p06, p07, p08, , p10] = sales as [Sale, Sale, Sale, Sale, Sale, Sale, Sale, Sale, Sale, Sale];
const fileLines = [
  header,
  row(p01),
  row(p02, { amount: '20100' }),
  row(p03, { fee: '150' }),
  row(p04, { rrn: '000000000004' }),
  row(p06, { status: 'reversed' }),
  row(p07, { rrn: '' }),
  row(p08, { rrn: '', stan: '', de7: '' }),
  row(p10),
  row(p01), // the channel repeats a line (in another chunk)
  row({ id: 'x', amountMinor: 5_500, createdAt: '2026-06-18T12:00:00', rrn: '000000000099', stan: '000099' }), // theirs only
  row({ id: 'y', amountMinor: 6_600, createdAt: '2026-06-17T12:00:00', rrn: '000000000098', stan: '000098' }, { date: '2026-06-17' }), // another day
];

const deps = (store: Store, nowMs = at('2026-06-19T09:00:00')) => ({ store, clock: { nowMs: () => nowMs }, timeZone: 'Asia/Shanghai' });

const postgresUrl = process.env.RESWIPE_TEST_POSTGRES_URL;
const postgresSchemas: string[] = [];

async function withImported(body: (store: Store, runId: string, dir: string) => Promise<void>, on: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-recon-'));
  const schema = `reswipe_recon_${randomBytes(4).toString('hex')}`;
  if (on === 'postgres') postgresSchemas.push(schema);
  const store = on === 'postgres' ? await openStore(postgresUrl as string, { postgresSchema: schema }) : await openStore(`sqlite:${join(dir, 'recon.db')}`);
  try {
    await seed(store);
    const file = join(dir, 'bank-a_20260618.csv');
    writeFileSync(file, `${fileLines.join('\r\n')}\r\n`);
    const summary = await importClearingFile(deps(store), { channel: 'bank-a', businessDate: '2026-06-18', format: defaultChannelFormat, source: openClearingFile(file, defaultChannelFormat.layout, 1000), actor: 'cli:test', chunkLines: 3 });
    assert.equal(summary.run.state, 'done');
    await body(store, summary.run.id, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function byCause(discrepancies: readonly DiscrepancyRecord[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const d of discrepancies) (found[`${d.category}/${d.causeCode}`] ??= []).push(d.paymentId ?? `line ${d.lineNo}`);
  return found;
}

async function everyLineDecided(on: 'sqlite' | 'postgres'): Promise<void> {
  await withImported(async (store, runId) => {
    const run = await store.getReconRun(runId);
    assert.equal(run?.linesTotal, 11);
    assert.equal(run?.linesMatched, 4, 'p01 by RRN, p07 by STAN + DE 7, p08 by authorization code, p10 the refund');
    assert.match(run?.fileSha256 ?? '', /^[0-9a-f]{64}$/);
    const discrepancies = await store.listDiscrepancies({ limit: 100, runId });
    assert.deepEqual(byCause(discrepancies), {
      'amount/amount_differs': ['p02'],
      'fee/fee_differs': ['p03'],
      'status/reversal_not_applied_upstream': ['p04'],
      'status/reversed_upstream': ['p06'],
      'theirs_only/duplicate_line': ['p01'],
      'theirs_only/not_sent_here': ['line 11'],
      'theirs_only/other_business_date': ['line 12'],
      'ours_only/not_in_channel_file': ['p05'],
      'ours_only/near_cutoff': ['p09'],
    });
    assert.equal(run?.discrepancies, discrepancies.length);
    const p04d = discrepancies.find((d) => d.paymentId === 'p04');
    assert.match(p04d?.causeEn ?? '', /the reversal was confirmed at 09:30:35/);
    const amount = discrepancies.find((d) => d.category === 'amount');
    assert.deepEqual([amount?.theirsMinor, amount?.oursMinor, amount?.differenceMinor], [20_100, 20_000, 100]);
    const lines = await store.listReconLines(runId, { limit: 100 });
    assert.equal(lines.length, 11);
    assert.ok(lines.every((l) => l.result !== 'unmatched'), 'no line is left undecided');
    assert.equal(lines.find((l) => l.lineNo === 8)?.attemptId, 'ap08', 'paired by authorization code + amount');
    const events = await store.listEvents(0, 100, 'recon.imported');
    assert.equal(events.length, 1);
    assert.equal((await store.listAudit({ limit: 10, action: 'recon.import' })).length, 1);
  }, on);
}

test('every line ends matched or as exactly one discrepancy, with the cause the journal supports', () => everyLineDecided('sqlite'));

test('the same import on PostgreSQL (RESWIPE_TEST_POSTGRES_URL)', { skip: postgresUrl === undefined ? 'RESWIPE_TEST_POSTGRES_URL is not set' : false }, async () => {
  try {
    await everyLineDecided('postgres');
  } finally {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    for (const schema of postgresSchemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
});

test('the same channel and day is imported once', async () => {
  await withImported(async (store, runId, dir) => {
    const file = join(dir, 'again.csv');
    writeFileSync(file, `${header}\n`);
    const again = await importClearingFile(deps(store), { channel: 'bank-a', businessDate: '2026-06-18', format: defaultChannelFormat, source: openClearingFile(file, defaultChannelFormat.layout, 10), actor: 'cli:test' }).catch((e: unknown) => e);
    assert.ok(isReswipeError(again, 'RSW_RECON_ALREADY_IMPORTED') && again.params.runId === runId);
  });
});

test('a bad line refuses the import as a whole and leaves a failed run that may be retried', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-recon-'));
  const store = await openStore(`sqlite:${join(dir, 'recon.db')}`);
  try {
    await seed(store);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${[header, row(p01), row(p02), row(p03), row(p06, { amount: '12.5' })].join('\n')}\n`);
    const error = await importClearingFile(deps(store), { channel: 'bank-a', businessDate: '2026-06-18', format: defaultChannelFormat, source: openClearingFile(bad, defaultChannelFormat.layout, 100), actor: 'cli:test', chunkLines: 2 }).catch((e: unknown) => e);
    assert.ok(isReswipeError(error, 'RSW_RECON_LINE_INVALID') && error.params.lineNo === 5 && error.field === 'amount', String(error));
    const [failed] = await store.listReconRuns({ limit: 5 });
    assert.equal(failed?.state, 'failed');
    assert.deepEqual(await store.listReconLines(failed?.id ?? '', { limit: 10 }), []);
    assert.deepEqual(await store.listDiscrepancies({ limit: 10 }), []);
    const good = join(dir, 'good.csv');
    writeFileSync(good, `${[header, row(p01)].join('\n')}\n`);
    const retried = await importClearingFile(deps(store), { channel: 'bank-a', businessDate: '2026-06-18', format: defaultChannelFormat, source: openClearingFile(good, defaultChannelFormat.layout, 100), actor: 'cli:test' });
    assert.equal(retried.run.linesMatched, 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('queue actions are audited with their notes; a resolution with an adjustment joins the next batch and its statement', async () => {
  await withImported(async (store, runId) => {
    const discrepancies = await store.listDiscrepancies({ limit: 100, runId });
    const amount = discrepancies.find((d) => d.category === 'amount') as DiscrepancyRecord;
    const nowMs = at('2026-06-19T10:00:00');
    const actionDeps = { store, clock: { nowMs: () => nowMs }, settlementDay: { timeZone: 'Asia/Shanghai', cutoff: '23:00' } };
    await actOnDiscrepancy(actionDeps, { discrepancyId: amount.id, actor: 'cli:ops', action: 'investigate', note: 'asked bank-a ops' });
    const resolved = await actOnDiscrepancy(actionDeps, { discrepancyId: amount.id, actor: 'cli:ops', action: 'resolve', note: 'bank-a confirms 201.00 was charged, ref 118', adjustmentMinor: 100 });
    assert.equal(resolved.state, 'resolved');
    const refused = await actOnDiscrepancy(actionDeps, { discrepancyId: amount.id, actor: 'cli:ops', action: 'write_off', note: 'changed my mind' }).catch((e: unknown) => e);
    assert.ok(isReswipeError(refused, 'RSW_RECON_ACTION_REFUSED'));
    const noNote = await actOnDiscrepancy(actionDeps, { discrepancyId: amount.id, actor: 'cli:ops', action: 'note', note: ' ' }).catch((e: unknown) => e);
    assert.ok(isReswipeError(noNote, 'RSW_BAD_ARGUMENT') && noNote.field === 'note');
    const actions = await store.listDiscrepancyActions(amount.id);
    assert.deepEqual(actions.map((a) => [a.action, a.stateBefore, a.stateAfter, a.actor]), [['investigate', 'open', 'investigating', 'cli:ops'], ['resolve', 'investigating', 'resolved', 'cli:ops']]);
    assert.equal((await store.listAudit({ limit: 10, action: 'recon.resolve' })).length, 1);
    assert.equal((await store.listEvents(0, 100, 'recon.discrepancy_changed')).length, 2);
    const themOnly = discrepancies.find((d) => d.causeCode === 'not_sent_here') as DiscrepancyRecord;
    await actOnDiscrepancy(actionDeps, { discrepancyId: themOnly.id, actor: 'cli:ops', action: 'write_off', note: 'a test sale of the bank, ref 7' });

    const settings = { timeZone: 'Asia/Shanghai', cutoff: '23:00', settleMode: 't1' as const, calendar: builtinHolidayCalendar };
    // The adjustment is dated 19 June (resolved that morning): the 18 June batch does not carry it, the 19 June batch does.
    const day18 = await settleMerchantDay(store, 'M1', '2026-06-18', settings, nowMs);
    assert.equal(day18.batch.adjustmentsMinor, undefined);
    const day19 = await settleMerchantDay(store, 'M1', '2026-06-19', settings, nowMs);
    assert.equal(day19.batch.adjustmentsMinor, 100);
    assert.equal(day19.batch.netMinor, 100);
    assert.ok(day19.reconciliation.ok, JSON.stringify(day19.reconciliation));
    const csv = await exportStatement(store, 'M1', '2026-06-19', settings);
    assert.match(csv, new RegExp(`detail,M1,2026-06-19,[0-9-]+,t1,${amount.id},adjustment,`));
    assert.match(csv, /\r\ntotal,M1,2026-06-19,[^\r]*,100,0,100,/);
    const rebuilt = await settleMerchantDay(store, 'M1', '2026-06-19', settings, nowMs);
    assert.equal(rebuilt.batch.adjustmentsMinor, 100, 'rebuilding the batch keeps its adjustment, once');
    const day20 = await settleMerchantDay(store, 'M1', '2026-06-20', settings, nowMs);
    assert.equal(day20.batch.adjustmentsMinor, undefined, 'a later batch does not carry it again');
  });
});

test('an open discrepancy older than the bound raises one overdue event', async () => {
  await withImported(async (store, runId) => {
    const count = (await store.listDiscrepancies({ limit: 100, runId })).length;
    const early = await raiseOverdueDiscrepancies({ store, clock: { nowMs: () => at('2026-06-19T10:00:00') } }, 86_400_000);
    assert.equal(early, 0);
    const late = await raiseOverdueDiscrepancies({ store, clock: { nowMs: () => at('2026-06-20T10:00:00') } }, 86_400_000);
    assert.equal(late, count);
    const again = await raiseOverdueDiscrepancies({ store, clock: { nowMs: () => at('2026-06-20T11:00:00') } }, 86_400_000);
    assert.equal(again, 0);
    const events = await store.listEvents(0, 1000, 'recon.discrepancy_overdue');
    assert.equal(events.length, count);
    assert.equal(events[0]?.payload.channel, 'bank-a');
  });
});
