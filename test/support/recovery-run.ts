// Shared by `npm run bench:recovery` and test/e2e/recovery-faulty-issuers.test.ts: one recovery run between
// real processes. It starts one or two `reswipe issuer-sim` processes that misbehave on a share of requests
// (reversals included), a `reswipe serve` routing to them, and several terminals that send paced sales with
// a good card over ISO 8583 and follow each answer's verdict (DE 44) inside the terminal's budget, as the
// terminal emulator does: NOW retries at once with a new STAN, LATER waits if the wait fits, WAIT, FIX and
// NEVER stop. Each sale has its own amount, so the issuers' ledgers show what it cost the card. After the
// last sale the run waits (bounded) for the books to settle, then checks the money: a sale told approved is
// charged exactly once, any other is charged nothing, no sale is ever charged twice, and every failure came
// with a verdict.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalClient, de7, saleMessage } from '../e2e/terminal-client.ts';
import { getText } from '../../src/core/iso8583/index.ts';
import { startReswipeJson, stopChild } from './reswipe-process.ts';
import { readIssuerLedger } from './issuer-ledger.ts';

export interface RecoveryRunOptions {
  /** How many issuer simulators (channels): 1 or 2. */
  issuers: 1 | 2;
  /** Share of requests (sales and reversals) each simulator misbehaves on (`issuer-sim --fault-mix`: the six link faults in equal parts). */
  faultRate: number;
  salesPerTerminal: number;
  terminals: number;
  /** Pause between one terminal's sales. */
  paceMs: number;
  /** The terminal's whole budget for one sale, retries included (the gateway's engine.terminalTimeoutMs too). */
  budgetMs: number;
  channelTimeoutMs: number;
  /** How late a late reply comes: past the channel timeout, so it is a timeout to the gateway. */
  lateReplyMs: number;
  seed: number;
  /** Amounts start here (fen); each sale takes the next one. Keep clear of the simulator's magic amounts. */
  firstAmountMinor: number;
  /** Extra gateway config merged over the defaults (e.g. { engine: { ... } }). */
  gatewayConfig?: Record<string, unknown>;
}

export interface SaleOutcome {
  amountMinor: number;
  /** Terminal requests this sale took (1 + the verdict-driven retries). */
  tries: number;
  /** The last answer's DE 39, or null when the terminal's budget ran out with no answer. */
  responseCode: string | null;
  /** The last answer's DE 44 (NONE, NOW, LATER:30, WAIT:30, FIX, NEVER), or null. */
  verdict: string | null;
  /** The last answer's DE 63, the cashier's text (it says why, and what the gateway tried), or null. */
  message: string | null;
  approved: boolean;
  /** From the first swipe to the last answer. */
  latencyMs: number;
}

export interface MoneyCheck {
  /** Sales charged more than once (charges still standing at the issuers, counted per amount). */
  doubleCharged: number;
  /** Sales told approved with no standing charge. */
  approvedNotCharged: number;
  /** Sales told anything else that still stand charged once the books settled. */
  declinedButCharged: number;
  /** Failures without a verdict in DE 44 (or with no answer at all). */
  failuresWithoutVerdict: number;
  /** Whether the books settled (no change for a while, every sale consistent) inside the wait. */
  settled: boolean;
}

export interface RecoveryRunResult {
  sales: SaleOutcome[];
  approvedShare: number;
  /** Approved with the first request (no terminal retry). */
  approvedFirstTryShare: number;
  latencyMs: { p50: number; p95: number; max: number };
  money: MoneyCheck;
  /** Answers by DE 39 / DE 44, for the report. */
  answers: Record<string, number>;
  gatewayPeakRssMb: number;
  durationMs: number;
}

const goodPan = '6222020000000000018';
const merchantId = 'M00000000000001';
const settleWaitMs = 60_000;

/** Nearest-rank percentile of a sorted list; 0 for an empty one. */
export function percentileOf(sorted: readonly number[], percentile: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((percentile / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

export async function runRecovery(options: RecoveryRunOptions): Promise<RecoveryRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-recovery-'));
  const sims: ChildProcess[] = [];
  let gateway: ChildProcess | undefined;
  const clients: TerminalClient[] = [];
  const startedAtMs = Date.now();
  try {
    const faultArgs = ['--fault-mix', String(options.faultRate)];
    const issuers: Array<{ isoPort: number; adminPort: number }> = [];
    for (let index = 0; index < options.issuers; index++) {
      const started = await startReswipeJson(
        ['issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--seed', String(options.seed + index), '--late-reply-ms', String(options.lateReplyMs), ...faultArgs],
        { cwd: dir, onSpawn: (child) => sims.push(child) },
      );
      issuers.push({ isoPort: Number(started.info.isoPort), adminPort: Number(started.info.adminPort) });
    }
    const terminalIds = Array.from({ length: options.terminals }, (_, index) => `T${String(index + 1).padStart(7, '0')}`);
    const config = mergeDeep(
      {
        database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
        security: { panKey: 'recovery-run-pan-key-0123456789' },
        http: { port: 0 },
        engine: { terminalTimeoutMs: options.budgetMs },
        listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
        channels: issuers.map((issuer, index) => ({ name: `bank-${'ab'[index]}`, host: '127.0.0.1', port: issuer.isoPort, timeoutMs: options.channelTimeoutMs, priority: index + 1, connections: 2 })),
        merchants: [{ id: merchantId, name: 'Recovery shop', mcc: '5411', terminals: terminalIds }],
      },
      options.gatewayConfig ?? {},
    );
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const served = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir, env: { RESWIPE_DEVELOPMENT_MODE: '1' }, onSpawn: (child) => (gateway = child) });
    const terminalPort = Number((served.info.listeners as Record<string, number>).pos);

    let stan = 0;
    const nextStan = () => String((stan = (stan % 899_999) + 1)).padStart(6, '0');
    let nextAmount = options.firstAmountMinor;
    const sales: SaleOutcome[] = [];
    await Promise.all(
      terminalIds.map(async (terminalId) => {
        const client = await TerminalClient.connect(terminalPort);
        clients.push(client);
        const signOn = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: terminalId, 70: '001' } });
        if (getText(signOn, 39) !== '00') throw new Error(`terminal ${terminalId} could not sign on: ${getText(signOn, 39)}`);
        for (let index = 0; index < options.salesPerTerminal; index++) {
          sales.push(await runSale(client, terminalId, nextAmount++, nextStan, options.budgetMs));
          await delay(options.paceMs);
        }
      }),
    );
    const money = await checkMoney(sales, issuers.map((issuer) => issuer.adminPort));
    const latencies = sales.map((sale) => sale.latencyMs).sort((a, b) => a - b);
    const answers: Record<string, number> = {};
    for (const sale of sales) {
      const key = sale.responseCode === null ? 'no answer' : `${sale.responseCode}/${sale.verdict ?? '-'}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
    return {
      sales,
      approvedShare: sales.filter((sale) => sale.approved).length / Math.max(1, sales.length),
      approvedFirstTryShare: sales.filter((sale) => sale.approved && sale.tries === 1).length / Math.max(1, sales.length),
      latencyMs: { p50: percentileOf(latencies, 50), p95: percentileOf(latencies, 95), max: latencies.at(-1) ?? 0 },
      money,
      answers,
      gatewayPeakRssMb: peakRssMb(gateway?.pid),
      durationMs: Date.now() - startedAtMs,
    };
  } finally {
    for (const client of clients) client.close();
    await stopChild(gateway);
    for (const sim of sims) await stopChild(sim);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One sale as a terminal runs it: the first swipe, then what each answer's verdict says, inside the budget. */
async function runSale(client: TerminalClient, terminalId: string, amountMinor: number, nextStan: () => string, budgetMs: number): Promise<SaleOutcome> {
  const startedAtMs = Date.now();
  let tries = 0;
  let responseCode: string | null = null;
  let verdict: string | null = null;
  let message: string | null = null;
  // Bounded: every try costs at least one round trip and the budget caps the total; 20 is far above what a budget allows.
  for (let round = 0; round < 20; round++) {
    const leftMs = budgetMs - (Date.now() - startedAtMs);
    if (leftMs <= 0) break;
    tries += 1;
    try {
      const answer = await client.request(saleMessage({ stan: nextStan(), pan: goodPan, amountMinor, terminalId, merchantId, cvv: '123' }), leftMs);
      responseCode = getText(answer, 39) ?? null;
      verdict = getText(answer, 44) ?? null;
      message = getText(answer, 63) ?? null;
    } catch {
      // No answer inside the budget: the terminal gives up (and would print "see the attendant").
      responseCode = null;
      verdict = null;
      message = null;
      break;
    }
    if (responseCode === '00') break;
    const advice = /^(NOW|LATER)(?::(\d+))?$/.exec(verdict ?? '');
    if (advice === null) break;
    const waitMs = advice[1] === 'LATER' ? Number(advice[2] ?? 0) * 1000 : 0;
    if (Date.now() - startedAtMs + waitMs >= budgetMs) break;
    await delay(waitMs);
  }
  return { amountMinor, tries, responseCode, verdict, message, approved: responseCode === '00', latencyMs: Date.now() - startedAtMs };
}

export interface LedgerEntry {
  kind: string;
  amountMinor: number;
  reversed: boolean;
  refundedMinor: number;
}

/** The money checks over the issuers' ledgers as they are now (each sale has its own amount). */
export function countMoney(sales: readonly SaleOutcome[], ledgers: ReadonlyArray<readonly LedgerEntry[]>): Omit<MoneyCheck, 'settled'> {
  const standing = new Map<number, number>();
  for (const entries of ledgers) {
    for (const entry of entries) {
      if (entry.kind === 'charge' && !entry.reversed && entry.refundedMinor < entry.amountMinor) standing.set(entry.amountMinor, (standing.get(entry.amountMinor) ?? 0) + 1);
    }
  }
  const counted = { doubleCharged: 0, approvedNotCharged: 0, declinedButCharged: 0, failuresWithoutVerdict: 0 };
  for (const sale of sales) {
    const charges = standing.get(sale.amountMinor) ?? 0;
    if (charges > 1) counted.doubleCharged += 1;
    if (sale.approved && charges === 0) counted.approvedNotCharged += 1;
    if (!sale.approved && charges > 0) counted.declinedButCharged += 1;
    if (!sale.approved && (sale.verdict === null || sale.verdict === '')) counted.failuresWithoutVerdict += 1;
  }
  return counted;
}

/** Waits (bounded) until the issuers' books agree with every answer and stop changing, then counts what does not. */
async function checkMoney(sales: readonly SaleOutcome[], adminPorts: readonly number[]): Promise<MoneyCheck> {
  let check: MoneyCheck | null = null;
  let previous = '';
  let stableReads = 0;
  for (let waitedMs = 0; waitedMs <= settleWaitMs; waitedMs += 500) {
    const ledgers: LedgerEntry[][] = [];
    for (const port of adminPorts) ledgers.push((await readIssuerLedger<LedgerEntry>(port)).entries);
    const fingerprint = ledgers.map((entries) => `${entries.length}:${entries.filter((entry) => entry.reversed).length}`).join(';');
    const counted = countMoney(sales, ledgers);
    stableReads = fingerprint === previous ? stableReads + 1 : 0;
    previous = fingerprint;
    // Reversals reach the issuers after the answers; settled = consistent and unchanged over two more reads.
    const consistent = counted.doubleCharged === 0 && counted.approvedNotCharged === 0 && counted.declinedButCharged === 0;
    check = { ...counted, settled: consistent && stableReads >= 2 };
    if (check.settled) return check;
    await delay(500);
  }
  return check ?? { doubleCharged: 0, approvedNotCharged: 0, declinedButCharged: 0, failuresWithoutVerdict: 0, settled: false };
}

/** A process's peak resident memory (VmHWM) in MB; 0 where /proc is not there. */
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof current === 'object' && current !== null && !Array.isArray(current)
        ? mergeDeep(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return merged;
}
