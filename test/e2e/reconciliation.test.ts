// Goal: through real processes, a day of sales through the gateway is reconciled against the clearing
// file the bank itself writes, and every kind of discrepancy the bank's faults create is found exactly
// (ours only, theirs only, amount, fee, status both ways), with its likely cause; an operator resolves
// one with an adjustment that the merchant's settlement batch then carries.
// Method: `reswipe issuer-sim` and `reswipe serve` as child processes; sales over HTTP, one at the
// magic amount ¥888.02 whose approval is lost (the gateway reverses it and the bank applies the
// reversal); the simulator's GET /clearing with one fault of each kind; `reswipe recon import`,
// `recon list`, `recon resolve` and `settle run` against the gateway's own SQLite file; bounded waits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { businessDateOf } from '../../src/core/fees/business-date.ts';
import { waitingFor } from '../support/wait-for.ts';

const merchantId = 'M00000000000001';
const card = '6222020000000000018';
const env = { RESWIPE_DEVELOPMENT_MODE: '1' };

let dir = '';
let configPath = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let simAdminPort = 0;
let httpPort = 0;
let adminKey = '';
let merchantKey = '';

function reswipe(...args: string[]) {
  return runReswipe([...args, '--config', configPath], { cwd: dir, env: { ...process.env, ...env } });
}

async function api(method: 'GET' | 'POST', path: string, options: { key?: string; body?: unknown; idempotencyKey?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? adminKey}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  const send = () => fetch(`http://127.0.0.1:${httpPort}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }), signal: AbortSignal.timeout(30_000) });
  // A CLI run (spawnSync) blocks this process; the gateway may close the idle keep-alive socket meanwhile.
  const response = await send().catch(async (error: unknown) => {
    if (!(error instanceof TypeError)) throw error;
    return send();
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as Record<string, any> };
}

const waitFor = waitingFor({ timeoutMs: 30_000, pollMs: 200 });

async function sale(amountMinor: number, idempotencyKey: string): Promise<{ id: string; status: string }> {
  const created = await api('POST', '/v1/payments', {
    key: merchantKey,
    idempotencyKey,
    body: { merchantId, terminalId: 'T0000001', amountMinor, currency: 'CNY', card: { number: card, expiry: '3012', cvv: '123', entryMode: 'chip' } },
  });
  assert.equal(created.status, 201, created.text);
  return { id: String(created.json.id), status: String(created.json.status) };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-recon-e2e-'));
  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--seed', '7', '--json'], { cwd: dir, env });
  sim = started.child;
  simAdminPort = Number(started.info.adminPort);
  configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
      security: { panKey: 'e2e-recon-pan-key-0123456789' },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 6_000, autoRetriesMax: 0, reversal: { triesMax: 5, backoffMs: 200, backoffMsMax: 200 } },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 1_000, echoIntervalMs: 0 }],
      merchants: [{ id: merchantId, name: 'E2E shop', mcc: '5411', terminals: ['T0000001'] }],
    }),
  );
  const admin = reswipe('keys', 'create', '--admin', '--label', 'ops');
  assert.equal(admin.status, 0, admin.stderr);
  adminKey = admin.stdout.trim();
  const served = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir, env });
  gateway = served.child;
  httpPort = Number(served.info.http);
  const merchant = reswipe('keys', 'create', '--merchant', merchantId);
  assert.equal(merchant.status, 0, merchant.stderr);
  merchantKey = merchant.stdout.trim();
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  rmSync(dir, { recursive: true, force: true });
});

test("a day of sales against the bank's own clearing file: every kind of discrepancy found exactly, one resolved into the merchant's batch", async () => {
  const businessDate = businessDateOf(Date.now(), 'Asia/Shanghai', '23:00');
  const approved: string[] = [];
  for (const [n, amountMinor] of [10_100, 10_200, 10_300, 10_400, 10_500, 10_600].entries()) {
    const made = await sale(amountMinor, `recon-e2e-${n}`);
    assert.equal(made.status, 'approved');
    approved.push(made.id);
  }
  // ¥888.02: the bank approves and charges, the approval is lost; the gateway reverses, the bank applies the reversal.
  const lost = await sale(88_802, 'recon-e2e-lost');
  await waitFor('the lost sale to be reversed', async () => ((await api('GET', `/v1/payments/${lost.id}`, { key: merchantKey })).json.status === 'reversed' ? true : null));
  await waitFor("the bank's books to show the reversal", async () => {
    const ledger = (await (await fetch(`http://127.0.0.1:${simAdminPort}/ledger`)).json()) as { entries: Array<{ amountMinor: number; reversed: boolean }> };
    return ledger.entries.some((entry) => entry.amountMinor === 88_802 && entry.reversed);
  });

  const faults = 'missingSale=1&extraSale=1&amountDiffers=1&feeDiffers=1&reversalUnseen=1&reversedUpstream=1';
  const clearing = (await (await fetch(`http://127.0.0.1:${simAdminPort}/clearing?date=${businessDate}&${faults}`)).json()) as { csv: string; lines: number; applied: Array<{ fault: string; rrn: string }> };
  assert.deepEqual(clearing.applied.map((fault) => fault.fault).sort(), ['amountDiffers', 'extraSale', 'feeDiffers', 'missingSale', 'reversalUnseen', 'reversedUpstream']);
  assert.equal(clearing.lines, 7, '7 sales, one left out, one made up');
  const file = join(dir, `sim_${businessDate.replace(/-/g, '')}.csv`);
  writeFileSync(file, clearing.csv);

  const imported = reswipe('recon', 'import', '--channel', 'sim', '--date', businessDate, file, '--json');
  assert.equal(imported.status, 0, imported.stderr);
  const summary = JSON.parse(imported.stdout) as { run: { id: string; linesTotal: number; linesMatched: number; discrepancies: number }; byCategory: Record<string, number> };
  assert.deepEqual(summary.byCategory, { ours_only: 1, theirs_only: 1, amount: 1, fee: 1, status: 2 });
  assert.equal(summary.run.linesTotal, 7);
  assert.equal(summary.run.linesMatched, 2, 'the two sales no fault touched');

  const listed = reswipe('recon', 'list', '--discrepancies', '--run', summary.run.id, '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const discrepancies = JSON.parse(listed.stdout) as Array<{ id: string; category: string; causeCode: string; causeEn: string; paymentId: string | null; differenceMinor: number }>;
  const byCause = Object.fromEntries(discrepancies.map((d) => [d.causeCode, d]));
  const rrnOf = (fault: string) => clearing.applied.find((applied) => applied.fault === fault)?.rrn;
  assert.equal(byCause.reversal_not_applied_upstream?.paymentId, lost.id, 'the reversal the bank "never saw"');
  assert.match(byCause.reversal_not_applied_upstream?.causeEn ?? '', /the reversal was confirmed at \d\d:\d\d:\d\d/);
  assert.equal(byCause.reversed_upstream?.paymentId, approved[0]);
  assert.equal(byCause.amount_differs?.paymentId, approved[1]);
  assert.equal(byCause.amount_differs?.differenceMinor, 100);
  assert.equal(byCause.fee_differs?.paymentId, approved[2]);
  assert.equal(byCause.not_in_channel_file?.paymentId ?? byCause.near_cutoff?.paymentId, approved[3]);
  assert.equal(byCause.not_sent_here?.category, 'theirs_only');
  assert.match(byCause.not_sent_here?.causeEn ?? '', new RegExp(`RRN ${rrnOf('extraSale')}`));
  assert.equal(discrepancies.length, 6);

  const again = reswipe('recon', 'import', '--channel', 'sim', '--date', businessDate, file);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /RSW_RECON_ALREADY_IMPORTED/);

  // The bank confirms it charged ¥102.00 + ¥1.00: the merchant is owed ¥1.00 in its next batch.
  const amount = byCause.amount_differs as { id: string };
  const resolved = reswipe('recon', 'resolve', amount.id, '--adjust', '1.00', '--note', 'bank ops confirm 102.00 charged, ref E2E-1', '--json');
  assert.equal(resolved.status, 0, resolved.stderr);
  assert.equal(JSON.parse(resolved.stdout).state, 'resolved');
  const overHttp = await api('GET', `/v1/reconciliation/discrepancies/${amount.id}`);
  assert.equal(overHttp.json.adjustment.amountMinor, 100);
  const written = await api('POST', `/v1/reconciliation/discrepancies/${byCause.not_sent_here?.id}/actions`, { idempotencyKey: 'ops-recon-1', body: { action: 'write_off', note: 'a test sale of the bank, ref E2E-2' } });
  assert.equal(written.status, 200, written.text);

  const adjustmentDate = JSON.parse(resolved.stdout).adjustment.businessDate as string;
  const settled = reswipe('settle', 'run', '--date', adjustmentDate, '--merchant', merchantId, '--json');
  assert.equal(settled.status, 0, settled.stderr);
  const [batch] = JSON.parse(settled.stdout) as Array<{ adjustmentsMinor?: number; reconciliation: { ok: boolean } }>;
  assert.equal(batch?.adjustmentsMinor, 100);
  assert.equal(batch?.reconciliation.ok, true);
});
