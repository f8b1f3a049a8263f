// Benchmark: reconciling a clearing file of N lines (default one million) against a journal of the
// same size on SQLite, streamed, against a baseline measured in the same run: the plain streaming
// parse of the same file (read, decode, parse every line, nothing else). Prints both times, the
// ratio, lines per second and the peak RSS of each phase (sampled every 20 ms), and JSON last.
//
// Set-up (not timed): N approved sales with their attempts are written straight into a migrated
// SQLite file in one transaction; the file lists them all but for a few faults per ten thousand
// (amount differs, missing, extra, no RRN so the STAN + DE 7 key is used).
// Usage: npm run bench:recon [-- --lines 1000000 --chunk 2000 --dir /path/on/real/disk]
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openStore } from '../src/adapters/store/open-store.ts';
import { openClearingFile } from '../src/adapters/reconciliation/clearing-file-reader.ts';
import { attemptRows, insertSql, merchantRows, paymentRows } from '../src/adapters/store/store-rows.ts';
import { importClearingFile } from '../src/app/reconciliation/import-clearing-file.ts';
import { fingerprintPan, maskPan } from '../src/core/cards/pan.ts';
import { businessDayWindow } from '../src/core/fees/business-date.ts';
import { defaultChannelFormat } from '../src/core/reconciliation/channel-format.ts';
import { defaultClearingColumns } from '../src/core/reconciliation/clearing-layout.ts';
import { parseClearingLine } from '../src/core/reconciliation/parse-clearing-line.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, chunk: { type: 'string', default: '2000' }, dir: { type: 'string' } } });
const lines = Number(values.lines);
const chunkLines = Number(values.chunk);
if (!Number.isSafeInteger(lines) || lines < 1000 || lines > 5_000_000) throw new Error('--lines must be an integer in 1000..5000000');
if (!Number.isSafeInteger(chunkLines) || chunkLines < 1 || chunkLines > 100_000) throw new Error('--chunk must be an integer in 1..100000');

const businessDate = '2026-06-18';
const window = businessDayWindow(businessDate, 'Asia/Shanghai', '23:00');
const pan = '6222021234567890123';
const panFingerprint = fingerprintPan(pan, 'bench-pan-key');
const panMasked = maskPan(pan);
const spacingMs = Math.floor((window.toMs - window.fromMs - 600_000) / lines);

const rrnOf = (n: number): string => String(n + 1).padStart(12, '0');
const stanOf = (n: number): string => String((n % 999_999) + 1).padStart(6, '0');
const de7Of = (n: number): string => {
  const d = new Date(window.fromMs + n * spacingMs);
  const pad = (v: number): string => String(v).padStart(2, '0');
  return `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
};
const amountOf = (n: number): number => 1_000 + (n % 50_000);

class PeakRss {
  #peak = 0;
  #timer: NodeJS.Timeout;
  constructor() {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 20);
  }
  #sample(): void {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }
  stopMb(): number {
    clearInterval(this.#timer);
    this.#sample();
    return Math.round((this.#peak / 1024 / 1024) * 10) / 10;
  }
}

const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'reswipe-bench-recon-'));
const dbPath = join(dir, 'recon.db');
const filePath = join(dir, 'bank-a_20260618.csv');
try {
  const setupStarted = Date.now();
  await (await openStore(`sqlite:${dbPath}`)).close();
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  // better-sqlite3 binds no booleans; the store's executor turns them into 0/1 the same way.
  const bind = (values: unknown[]): unknown[] => values.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
  const insertPayment = db.prepare(insertSql(paymentRows));
  const insertAttempt = db.prepare(insertSql(attemptRows));
  db.prepare(insertSql(merchantRows)).run(bind(merchantRows.toValues({ id: 'M1', name: 'Bench', mcc: '5411', accepts: ['debit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: 0, updatedAtMs: 0 })));
  const seed = db.transaction(() => {
    for (let n = 0; n < lines; n += 1) {
      const atMs = window.fromMs + n * spacingMs;
      const id = `p${n}`;
      insertPayment.run(paymentRows.toValues({
        id, kind: 'sale', status: 'approved', intake: 'iso', merchantId: 'M1', terminalId: null, amountMinor: amountOf(n), currency: 'CNY', panFingerprint, panMasked, cardBrand: 'unionpay', cardType: 'debit', cardIssuer: null,
        entryMode: 'chip', terminalStan: null, terminalTransmittedAt: null, reference: null, originalPaymentId: null, responseCode: '00', authCode: 'A00001', rrn: rrnOf(n), decline: null, createdAtMs: atMs, updatedAtMs: atMs, version: 1,
      }) as never[]);
      insertAttempt.run(attemptRows.toValues({
        id: `a${n}`, paymentId: id, seq: 1, channel: 'bank-a', mti: '0200', stan: stanOf(n), transmittedAt: de7Of(n), processingCode: '000000', upstreamTerminalId: 'T0000001', outcome: 'approved', responseCode: '00', authCode: `A${String(n % 100_000).padStart(5, '0')}`,
        rrn: rrnOf(n), latencyMs: 10, sentAtMs: atMs, completedAtMs: atMs + 10, createdAtMs: atMs,
      }) as never[]);
    }
  });
  seed();
  db.close();
  console.error(`seeded ${lines} sales in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);
  // The clearing file: every sale, but 1 in 5000 with a different amount, 1 in 5000 missing, 1 in 5000 without RRN, and 1 extra per 5000.
  const out = createWriteStream(filePath);
  const write = (text: string): Promise<void> => (out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', () => resolve())));
  await write(`${defaultClearingColumns.join(',')}\n`);
  const expected = { amount: 0, oursOnly: 0, theirsOnly: 0 };
  for (let n = 0; n < lines; n += 1) {
    if (n % 5000 === 1) {
      expected.oursOnly += 1;
      continue;
    }
    const amount = n % 5000 === 2 ? (expected.amount++, amountOf(n) + 1) : amountOf(n);
    const rrn = n % 5000 === 3 ? '' : rrnOf(n);
    await write(`${businessDate},,T0000001,${stanOf(n)},${de7Of(n)},${rrn},A${String(n % 100_000).padStart(5, '0')},sale,settled,${amount},,CNY,M1,${panMasked}\n`);
    if (n % 5000 === 4) {
      expected.theirsOnly += 1;
      await write(`${businessDate},,T0000009,,,9${String(n).padStart(11, '0')},,sale,settled,777,,CNY,M1,${panMasked}\n`);
    }
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  const setupSeconds = (Date.now() - setupStarted) / 1000;
  console.error(`wrote the clearing file in ${setupSeconds.toFixed(1)} s`);

  // Baseline: the plain streaming parse of the same file.
  const baselineRss = new PeakRss();
  const baselineStarted = process.hrtime.bigint();
  let parsed = 0;
  const source = openClearingFile(filePath, defaultChannelFormat.layout, 10_000_000);
  for await (const { lineNo, text } of source.lines()) if (parseClearingLine(defaultChannelFormat.layout, text, lineNo) !== null) parsed += 1;
  const baselineMs = Number(process.hrtime.bigint() - baselineStarted) / 1e6;
  const baselinePeakRssMb = baselineRss.stopMb();

  // Measured: the whole import (parse, match, write lines and discrepancies, the leftover pass).
  const store = await openStore(`sqlite:${dbPath}`);
  const importRss = new PeakRss();
  const importStarted = process.hrtime.bigint();
  const summary = await importClearingFile(
    { store, clock: { nowMs: () => Date.now() }, timeZone: 'Asia/Shanghai' },
    { channel: 'bank-a', businessDate, format: defaultChannelFormat, source: openClearingFile(filePath, defaultChannelFormat.layout, 10_000_000), actor: 'bench', chunkLines },
  );
  const importMs = Number(process.hrtime.bigint() - importStarted) / 1e6;
  const importPeakRssMb = importRss.stopMb();
  await store.close();

  const got = summary.byCategory;
  const exact = got.amount === expected.amount && got.ours_only === expected.oursOnly && got.theirs_only === expected.theirsOnly && got.fee === 0 && got.status === 0 && summary.run.linesMatched === parsed - expected.amount - expected.theirsOnly;
  console.log(`journal ${lines} sales, file ${parsed} lines (set-up ${setupSeconds.toFixed(1)} s, not timed)`);
  console.log(`baseline  streaming parse: ${(baselineMs / 1000).toFixed(2)} s, ${Math.round(parsed / (baselineMs / 1000))} lines/s, peak RSS ${baselinePeakRssMb} MB`);
  console.log(`reconcile import + match:  ${(importMs / 1000).toFixed(2)} s, ${Math.round(parsed / (importMs / 1000))} lines/s, peak RSS ${importPeakRssMb} MB`);
  console.log(`ratio import/parse: ${(importMs / baselineMs).toFixed(1)}x; matched ${summary.run.linesMatched}, discrepancies ${JSON.stringify(got)}; expected ${JSON.stringify(expected)}: ${exact ? 'exact' : 'MISMATCH'}`);
  console.log(JSON.stringify({ bench: 'recon', lines: parsed, journal: lines, chunkLines, baselineMs: Math.round(baselineMs), importMs: Math.round(importMs), ratio: Math.round((importMs / baselineMs) * 10) / 10, linesPerSec: Math.round(parsed / (importMs / 1000)), baselinePeakRssMb, importPeakRssMb, exact }));
  if (!exact) process.exitCode = 1;
} finally {
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
