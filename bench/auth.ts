// Benchmark: durable sales per second from ISO 8583 terminals through `reswipe serve` (SQLite,
// synchronous=FULL: every answer is on disk before it is sent) to `reswipe issuer-sim`, against a
// plain framed TCP relay (terminal -> relay -> issuer-sim, bench/framed-relay.ts) measured in the
// same run as the ceiling. Phases:
//   relay     max rate, --connections terminals (closed loop: each sends its next sale on the answer)
//   gateway   max rate, same terminals
//   gateway   max rate with --many-connections terminals (default 1000)
//   gateway   fixed --rate sales/s (default 2000) over --many-connections terminals: p99 at that rate
// It prints sales/s, p50/p99 latency, the ratio to the relay and the gateway's peak RSS (VmHWM of
// its process). The last line printed is JSON.
// With --postgres <server url> the gateway stores in a fresh PostgreSQL database created on that server
// (and dropped afterwards) instead of SQLite; the database server's CPU per sale is printed as well.
// With --prefill N the SQLite file gets N past payments first (bench/prefill-history.ts): cost with history.
// With --history-from <gateway.db> the run starts on a copy of a file an earlier --prefill left (with --dir):
// prefill once, measure many times, each run on a fresh copy (a run adds its sales to the file it runs on).
// On a file with history every terminal's STANs go on from its highest STAN there, as a till's next sale's would.
// The gateway phases also print the payment projector's largest lag (reswipe_projector_lag_seconds, read
// from /metrics on the operations listener every 500 ms while the phase is measured).
// --fixed-only runs the fixed-rate phase alone (after its warm-up), for studying the tail; BENCH_SALES_FILE, below.
// Usage: npm run bench:auth [-- --seconds 8 --connections 64 --many-connections 1000 --rate 2000 --postgres postgres://postgres@127.0.0.1:5432/postgres --prefill 10000000 --dir D --history-from D/gateway.db --fixed-only]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../src/adapters/store/open-store.ts';
import { prefillHistory, type PrefillReport } from './prefill-history.ts';
import { openJournalProbe, probeApplicationName, type JournalProbe } from './projector-drain.ts';
import { encodeFrame, FrameDecoder, getDialect, getText, packMessage, unpackMessage, type IsoMessage } from '../src/core/iso8583/index.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    'warmup-seconds': { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    'many-connections': { type: 'string', default: '1000' },
    rate: { type: 'string', default: '2000' },
    dir: { type: 'string' },
    postgres: { type: 'string' },
    prefill: { type: 'string', default: '0' },
    'history-from': { type: 'string' },
    // Only the gateway's fixed-rate phase (after its warm-up): no relay, no max-rate phases. For studying the tail.
    'fixed-only': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const warmupSeconds = Number(values['warmup-seconds']);
const connections = Number(values.connections);
const manyConnections = Number(values['many-connections']);
const fixedRate = Number(values.rate);
const fixedOnly = values['fixed-only'] === true;
/**
 * BENCH_SALES_FILE=<path> writes every measured sale of the fixed-rate phase as `startEpochMs latencyMs`, one a
 * line, to put beside the gateway's own timeline (bench/loop-stall-preload.mjs with STALL_TIMELINE=1).
 */
const salesFile = process.env.BENCH_SALES_FILE;
const prefill = Number(values.prefill);
if (!Number.isSafeInteger(prefill) || prefill < 0 || prefill > 100_000_000) throw new Error('--prefill must be an integer in 0..100000000');
if (prefill > 0 && values.postgres !== undefined) throw new Error('--prefill writes history into the SQLite file; it does not apply with --postgres');
const historyFrom = values['history-from'];
if (historyFrom !== undefined && (prefill > 0 || values.postgres !== undefined)) throw new Error('--history-from starts on a copy of an existing SQLite file; it does not apply with --prefill or --postgres');
if (historyFrom !== undefined && (!existsSync(historyFrom) || existsSync(`${historyFrom}-wal`))) throw new Error(`--history-from ${historyFrom}: no such file, or it has a WAL beside it (a gateway still running on it?)`);
for (const [name, value, max] of [['seconds', seconds, 3600], ['warmup-seconds', warmupSeconds, 600], ['connections', connections, 10_000], ['many-connections', manyConnections, 10_000], ['rate', fixedRate, 1_000_000]] as const) {
  if (!Number.isFinite(value) || value < 0 || value > max) throw new Error(`--${name} must be a number in 0..${max}`);
}

/**
 * V8 flags the gateway runs with, as docs/benchmarks.md recommends for `reswipe serve` in production:
 * a 16 MB young generation (a sale's short-lived objects die there) and a 384 MB old-space ceiling
 * that makes V8 collect garbage before it grows the heap (live heap at 1000 busy terminals is about
 * 50 MB; without them the heap fills with garbage to 120-170 MB). BENCH_GATEWAY_NODE_FLAGS overrides
 * them; `none` runs node's defaults.
 */
const gatewayNodeFlagsText = process.env.BENCH_GATEWAY_NODE_FLAGS ?? '--max-semi-space-size=16 --max-old-space-size=384';
const gatewayNodeFlags = gatewayNodeFlagsText === 'none' ? [] : gatewayNodeFlagsText.split(/\s+/).filter((flag) => flag.length > 0);

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'reswipe.mjs');
/**
 * The checkout whose `reswipe serve` is measured: this one, or BENCH_GATEWAY_ROOT (another worktree, built),
 * so that two trees are compared by the same bench script, with the same phases, counts and drain.
 */
const gatewayRoot = process.env.BENCH_GATEWAY_ROOT ?? root;
const gatewayBin = join(gatewayRoot, 'bin', 'reswipe.mjs');
const dialect = getDialect('iso87-ascii');
const merchantId = 'M00000000000001';
/** Approving test cards with large balances (¥100,000 each; the issuer is also reset between phases). */
const pans = ['6222020000000000018', '4319400000000018', '5200828282828210', '6225880000000019', '4111111111111111', '5555555555554444', '6258070000000017', '3530111333300000'];
/**
 * Card and amount step with the STAN: a real till rarely charges one card the same amount twice in two
 * minutes (that is the re-swipe the gateway's guard examines). A terminal repeats a card and amount only
 * every 499 x 8 = 3,992 sales, and amounts of ¥0.01-¥4.99 keep even the relay's fastest runs inside the
 * cards' balances.
 */
const amountMinorOf = (stan: number): number => 1 + (stan % 499);
const panOf = (terminalIndex: number, stan: number): string => pans[(terminalIndex + Math.floor(stan / 499)) % pans.length] ?? pans[0]!;
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'reswipe-bench-auth-'));
const children: ChildProcess[] = [];
let prefillReport: PrefillReport | null = null;

function startJson(args: string[], cwd = dir, startSecondsMax = 30): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, RESWIPE_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within ${startSecondsMax} s`)), startSecondsMax * 1000);
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolve({ child, info: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown> });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}`));
    });
  });
}

function de7(atMs: number): string {
  const at = new Date(atMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return two(at.getUTCMonth() + 1) + two(at.getUTCDate()) + two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds());
}

/** One terminal: one TCP connection, at most one sale outstanding (as a real POS). */
class BenchTerminal {
  readonly #socket: Socket;
  readonly #terminalId: string;
  readonly #index: number;
  #stan: number;
  #transmittedAt: string;
  #waiting: { stan: string; startedNs: bigint; resolve: (latencyNs: bigint, code: string) => void } | null = null;
  /** When the last sale was sent (epoch ms), for BENCH_SALES_FILE. */
  sentAtMs = 0;

  private constructor(socket: Socket, terminalId: string, index: number, stanStart: number) {
    this.#stan = stanStart;
    this.#socket = socket;
    this.#terminalId = terminalId;
    this.#index = index;
    this.#transmittedAt = de7(Date.now());
    const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax: 8192 });
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const message = unpackMessage(dialect, frame);
        const waiting = this.#waiting;
        if (waiting !== null && getText(message, 11) === waiting.stan) {
          this.#waiting = null;
          waiting.resolve(process.hrtime.bigint() - waiting.startedNs, getText(message, 39) ?? '');
        }
      }
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, terminalId: string, index: number, stanStart = 0): Promise<BenchTerminal> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const candidate = connect({ host: '127.0.0.1', port }, () => resolve(candidate));
      candidate.once('error', reject);
    });
    socket.setNoDelay(true);
    return new BenchTerminal(socket, terminalId, index, stanStart);
  }

  get busy(): boolean {
    return this.#waiting !== null;
  }

  /** Sends one message and resolves with its latency and DE 39 (bounded by the caller's run time). */
  #exchange(message: IsoMessage): Promise<{ latencyNs: bigint; code: string }> {
    const stan = getText(message, 11) ?? '';
    return new Promise((resolve) => {
      this.sentAtMs = performance.timeOrigin + performance.now();
      this.#waiting = { stan, startedNs: process.hrtime.bigint(), resolve: (latencyNs, code) => resolve({ latencyNs, code }) };
      this.#socket.write(encodeFrame('binary2', packMessage(dialect, message)));
    });
  }

  #nextStan(): string {
    this.#stan += 1;
    if (this.#stan > 999_999) {
      this.#stan = 1;
      this.#transmittedAt = de7(Date.now());
    }
    return String(this.#stan).padStart(6, '0');
  }

  signOn(): Promise<{ latencyNs: bigint; code: string }> {
    return this.#exchange({ mti: '0800', fields: { 7: this.#transmittedAt, 11: this.#nextStan(), 41: this.#terminalId, 70: '001' } });
  }

  sale(): Promise<{ latencyNs: bigint; code: string }> {
    const stan = this.#nextStan();
    return this.#exchange({
      mti: '0200',
      fields: {
        2: panOf(this.#index, Number(stan)),
        3: '000000',
        4: String(amountMinorOf(Number(stan))).padStart(12, '0'),
        7: this.#transmittedAt,
        11: stan,
        12: '120000',
        13: '1125',
        14: '3012',
        22: '051',
        25: '00',
        32: '00000000001',
        41: this.#terminalId,
        42: merchantId,
        49: '156',
      },
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

interface PhaseResult {
  name: string;
  connections: number;
  sales: number;
  approved: number;
  salesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Sales the fixed-rate phase could not start because every terminal was still waiting. */
  skipped: number;
  /** CPU time the measured process (relay or gateway) spent per sale in the measured window: robust on a shared machine. */
  cpuMsPerSale: number;
  /** CPU time of the PostgreSQL backends serving the gateway, per sale (0 on SQLite, which runs inside the gateway). */
  dbCpuMsPerSale: number;
  /** Largest reswipe_projector_lag_seconds sampled in the measured window (-1 when not sampled: the relay). */
  projectorLagMaxS: number;
  /** Read system calls of the measured process per sale in the window (ioOf). */
  readsPerSale: number;
  /** KB those reads returned per sale. */
  readKbPerSale: number;
  /** After the window (gateway phases): its projector work finished, counted (null for the relay). */
  drain: PhaseDrain | null;
}

/**
 * What a gateway phase left to do when its window closed, done before the next phase: the answers still in
 * flight (`tailSales`) and the projectors' work up to the journal's head. Every gateway window starts with the
 * projectors caught up, so window + drain CPU is exactly the cost of the window's and the tail's sales with
 * everything derived from them (fee lines, events, payment list, rollup).
 */
interface PhaseDrain {
  /** Journal entries the payment projector was behind when the window closed. */
  behindEntries: number;
  tailSales: number;
  /** From the last answer of the phase to both projectors' checkpoints at the journal head. */
  drainMs: number;
  /** CPU after the window (tail answers and the drain), gateway and database server. */
  cpuMs: number;
  dbCpuMs: number;
  /** (window + after) CPU over (window + tail) sales: what a sale costs with its projector work. */
  cpuMsPerSaleAll: number;
  dbCpuMsPerSaleAll: number;
}

/** A phase that --fixed-only left out: zeros (so the gateway's best max rate is 0 and its ratio to the relay too). */
function skippedPhase(name: string): PhaseResult {
  return { name, connections: 0, sales: 0, approved: 0, salesPerSec: 0, p50Ms: 0, p99Ms: 0, skipped: 0, cpuMsPerSale: 0, dbCpuMsPerSale: 0, projectorLagMaxS: -1, readsPerSale: 0, readKbPerSale: 0, drain: null };
}

/** Samples the gateway's projector lag from /metrics while a phase is measured. */
class ProjectorLagSampler {
  #port: number | null = null;
  #maxS = -1;
  #timer: NodeJS.Timeout | null = null;

  attach(port: number): void {
    this.#port = port;
  }

  start(): void {
    this.#maxS = this.#port === null ? -1 : 0;
    if (this.#port === null) return;
    const url = `http://127.0.0.1:${this.#port}/metrics`;
    this.#timer = setInterval(() => {
      void fetch(url, { signal: AbortSignal.timeout(2_000) })
        .then((response) => response.text())
        .then((text) => {
          const lag = Number(/^reswipe_projector_lag_seconds (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
          if (Number.isFinite(lag) && lag > this.#maxS) this.#maxS = lag;
        })
        .catch(() => undefined);
    }, 500);
  }

  stop(): number {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    return this.#maxS;
  }
}
const projectorLag = new ProjectorLagSampler();

/** The PostgreSQL database of this run, when --postgres is given. */
let benchDatabase: { admin: pg.Client; name: string; url: string } | null = null;
/** Reads the gateway's journal head and projector checkpoints (set once the gateway runs; null for the relay). */
let journalProbe: JournalProbe | null = null;
/** A phase's wait for the projectors, at most: a stuck projector fails the bench instead of hanging it. */
const drainWaitMsMax = 300_000;

/** Before a gateway window: with no sale in flight, waits for the projectors to reach the journal's head. */
async function settleBeforeWindow(): Promise<void> {
  if (journalProbe === null) return;
  const waitedMs = await journalProbe.waitCaughtUp(drainWaitMsMax);
  if (waitedMs > 100) console.log(`  (projectors caught up with the warm-up ${(waitedMs / 1000).toFixed(2)} s before the window)`);
}

/** After a gateway window and its tail answers: waits for the projectors and counts what it all cost. */
async function drainAfterWindow(cpu: CpuWindow, window: { cpuMs: number; dbCpuMs: number }, sales: number, tailSales: number, behindEntries: number): Promise<PhaseDrain | null> {
  if (journalProbe === null) return null;
  const drainMs = await journalProbe.waitCaughtUp(drainWaitMsMax);
  const all = await cpu.stop();
  const perSale = (ms: number): number => (sales + tailSales === 0 ? 0 : Math.round((ms / (sales + tailSales)) * 1000) / 1000);
  return { behindEntries, tailSales, drainMs, cpuMs: all.cpuMs - window.cpuMs, dbCpuMs: all.dbCpuMs - window.dbCpuMs, cpuMsPerSaleAll: perSale(all.cpuMs), dbCpuMsPerSaleAll: perSale(all.dbCpuMs) };
}

async function behindNow(): Promise<number> {
  if (journalProbe === null) return 0;
  const at = await journalProbe.position();
  return Math.max(0, at.head - at.payments);
}

/** The PostgreSQL backends serving the bench database (their CPU is the store's cost on PostgreSQL). */
async function databasePids(): Promise<number[]> {
  if (benchDatabase === null) return [];
  const result = await benchDatabase.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2', [benchDatabase.name, probeApplicationName]);
  return result.rows.map((row) => row.pid);
}

function cpuMsOfAll(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
}

interface CpuWindow {
  /** CPU since the start, in ms, and the measured process's read system calls and bytes (may be called again later for a longer span). */
  stop(): Promise<{ cpuMs: number; dbCpuMs: number; reads: number; readBytes: number }>;
}

/**
 * Starts the measured window: CPU of the measured process and of the database backends from now; `stop` gives
 * both in ms. A backend that connected after the start (a pool grows under load, and drops a connection idle
 * for 30 s) counts with all its CPU: it was born inside the span. Until 2026-12-06 only the backends present at
 * the start were counted, which left out the reads of connections the pool opened during a window.
 */
async function startCpuWindow(pid: number | undefined): Promise<CpuWindow> {
  const startPids = await databasePids();
  const cpuStartMs = cpuMsOf(pid);
  const dbCpuStartMs = cpuMsOfAll(startPids);
  const ioStart = ioOf(pid);
  return {
    stop: async () => {
      const cpuMs = cpuMsOf(pid) - cpuStartMs;
      const ioEnd = ioOf(pid);
      const known = new Set(startPids);
      const born = (await databasePids()).filter((dbPid) => !known.has(dbPid));
      return { cpuMs, dbCpuMs: cpuMsOfAll(startPids) - dbCpuStartMs + cpuMsOfAll(born), reads: ioEnd.syscr - ioStart.syscr, readBytes: ioEnd.rchar - ioStart.rchar };
    },
  };
}

/**
 * Read system calls and bytes read so far (`syscr`, `rchar` of /proc/<pid>/io): on SQLite the pages its own
 * cache did not hold (page cache hits included), plus the sockets' reads and the WAL checkpoint's.
 */
function ioOf(pid: number | undefined): { syscr: number; rchar: number } {
  if (pid === undefined) return { syscr: 0, rchar: 0 };
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { syscr: Number(/^syscr: (\d+)$/m.exec(io)?.[1] ?? 0), rchar: Number(/^rchar: (\d+)$/m.exec(io)?.[1] ?? 0) };
  } catch {
    return { syscr: 0, rchar: 0 };
  }
}

/** DE 39 answers of the phase being measured, to show what the non-approvals were. */
const codes = new Map<string, number>();

function percentileMs(sortedNs: BigInt64Array, fraction: number): number {
  if (sortedNs.length === 0) return 0;
  const index = Math.min(sortedNs.length - 1, Math.floor(fraction * sortedNs.length));
  return Number(sortedNs[index]) / 1e6;
}

/**
 * `stanStart`: the later phases reuse the first phase's terminal ids, so they start half a card-and-amount
 * cycle (1,996 of 3,992) further on: otherwise each of their sales had a twin a few seconds old from the
 * first phase (same terminal, card and amount), which the re-swipe guard then examined (until 2026-12-06).
 */
async function openTerminals(port: number, count: number, prefix: string, signOn: boolean, stanStart = 0): Promise<BenchTerminal[]> {
  const terminals: BenchTerminal[] = [];
  for (let i = 0; i < count; i++) {
    const terminalId = `${prefix}${String(i + 1).padStart(7, '0')}`;
    const terminal = await BenchTerminal.open(port, terminalId, i, (historyStans.get(terminalId) ?? 0) + stanStart);
    terminals.push(terminal);
  }
  if (signOn) {
    const answers = await Promise.all(terminals.map((terminal) => terminal.signOn()));
    const refused = answers.filter((answer) => answer.code !== '00').length;
    if (refused > 0) throw new Error(`${refused} terminals could not sign on`);
  }
  return terminals;
}

/**
 * Each terminal's highest STAN in the file's history (none on an empty file). A till numbers its sales on
 * from its last one, so on a file with history its next sale's keys (payments_iso_key and the idempotency
 * key, both terminal, STAN, DE 7) sort after its past ones, at one edge of the terminal's part of those
 * indexes. Starting at STAN 1 instead (until 2026-12-06) put every live sale between two past ones, so a
 * terminal's sales walked through its history's leaves, reading and splitting a new one every hundred sales
 * or so: a cost a production file does not have (STANs wrap at 999,999, a decade of a busy till's sales).
 */
let historyStans = new Map<string, number>();

function readHistoryStans(path: string, terminalIds: readonly string[]): Map<string, number> {
  const stans = new Map<string, number>();
  if (!existsSync(path)) return stans;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'payments'").get() === undefined) return stans;
    // One seek per terminal in payments_iso_key (terminal, STAN, DE 7).
    const highest = db.prepare('SELECT MAX(terminal_stan) AS stan FROM payments WHERE terminal_id = ? AND terminal_stan IS NOT NULL');
    for (const terminalId of terminalIds) {
      const stan = Number((highest.get(terminalId) as { stan: string | null }).stan ?? 0);
      if (stan > 0) stans.set(terminalId, stan);
    }
  } finally {
    db.close();
  }
  return stans;
}

/** Closed loop: every terminal sends its next sale as soon as it has the answer to the last. */
async function runMaxRate(name: string, terminals: BenchTerminal[], pid: number | undefined): Promise<PhaseResult> {
  const latencies: bigint[] = [];
  codes.clear();
  let approved = 0;
  let measuring = false;
  let stopping = false;
  let tailSales = 0;
  let windowEnded = false;
  // Between the warm-up and the window the terminals hold their next sale until the projectors caught up.
  let held: Promise<void> | null = null;
  let inFlight = 0;
  const loops = terminals.map(async (terminal) => {
    while (!stopping) {
      if (held !== null) {
        await held;
        continue;
      }
      inFlight += 1;
      const { latencyNs, code } = await terminal.sale();
      inFlight -= 1;
      if (measuring) {
        latencies.push(latencyNs);
        if (code === '00') approved += 1;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      } else if (windowEnded) tailSales += 1;
    }
  });
  await delay(warmupSeconds * 1000);
  let release = (): void => undefined;
  if (journalProbe !== null) {
    held = new Promise<void>((resolve) => (release = resolve));
    for (let waitedMs = 0; inFlight > 0 && waitedMs < 30_000; waitedMs += 10) await delay(10);
    await settleBeforeWindow();
  }
  const cpu = await startCpuWindow(pid);
  projectorLag.start();
  measuring = true;
  held = null;
  release();
  const startedNs = process.hrtime.bigint();
  await delay(seconds * 1000);
  measuring = false;
  windowEnded = true;
  const window = await cpu.stop();
  const lagMaxS = projectorLag.stop();
  const elapsedS = Number(process.hrtime.bigint() - startedNs) / 1e9;
  stopping = true;
  const behindEntries = await behindNow();
  await Promise.race([Promise.all(loops), delay(30_000)]);
  const drain = await drainAfterWindow(cpu, window, latencies.length, tailSales, behindEntries);
  return summarise(name, terminals.length, latencies, approved, elapsedS, 0, window.cpuMs, window.dbCpuMs, lagMaxS, window.reads, window.readBytes, drain);
}

/** Open loop at a fixed rate: a tick every 5 ms starts the sales due on idle terminals. */
async function runFixedRate(name: string, terminals: BenchTerminal[], ratePerSec: number, pid: number | undefined): Promise<PhaseResult> {
  const latencies: bigint[] = [];
  codes.clear();
  let approved = 0;
  let skipped = 0;
  let measuring = false;
  let windowEnded = false;
  let tailSales = 0;
  // Between the warm-up and the window no sale starts until the projectors caught up.
  let holding = false;
  let cursor = 0;
  let due = 0;
  const tickMs = 5;
  const inFlight = new Set<Promise<unknown>>();
  const saleLines: string[] = [];
  const timer = setInterval(() => {
    if (holding) return;
    due += (ratePerSec * tickMs) / 1000;
    while (due >= 1) {
      due -= 1;
      let terminal: BenchTerminal | undefined;
      for (let probe = 0; probe < terminals.length; probe++) {
        const candidate = terminals[(cursor + probe) % terminals.length];
        if (candidate !== undefined && !candidate.busy) {
          terminal = candidate;
          cursor = (cursor + probe + 1) % terminals.length;
          break;
        }
      }
      if (terminal === undefined) {
        if (measuring) skipped += 1;
        continue;
      }
      const saleTerminal = terminal;
      const sale = terminal.sale().then(({ latencyNs, code }) => {
        if (measuring) {
          latencies.push(latencyNs);
          if (salesFile !== undefined) saleLines.push(`${saleTerminal.sentAtMs.toFixed(1)} ${(Number(latencyNs) / 1e6).toFixed(2)}`);
          if (code === '00') approved += 1;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        } else if (windowEnded) tailSales += 1;
      });
      inFlight.add(sale);
      void sale.finally(() => inFlight.delete(sale));
    }
  }, tickMs);
  await delay(warmupSeconds * 1000);
  if (journalProbe !== null) {
    holding = true;
    await Promise.race([Promise.all([...inFlight]), delay(30_000)]);
    await settleBeforeWindow();
  }
  const cpu = await startCpuWindow(pid);
  projectorLag.start();
  measuring = true;
  due = 0;
  holding = false;
  const startedNs = process.hrtime.bigint();
  await delay(seconds * 1000);
  measuring = false;
  windowEnded = true;
  const window = await cpu.stop();
  const lagMaxS = projectorLag.stop();
  const elapsedS = Number(process.hrtime.bigint() - startedNs) / 1e9;
  clearInterval(timer);
  const behindEntries = await behindNow();
  await Promise.race([Promise.all([...inFlight]), delay(30_000)]);
  const drain = await drainAfterWindow(cpu, window, latencies.length, tailSales, behindEntries);
  if (salesFile !== undefined) writeFileSync(salesFile, `${saleLines.join('\n')}\n`);
  return summarise(name, terminals.length, latencies, approved, elapsedS, skipped, window.cpuMs, window.dbCpuMs, lagMaxS, window.reads, window.readBytes, drain);
}

function summarise(name: string, connectionsCount: number, latencies: bigint[], approved: number, elapsedS: number, skipped: number, cpuMs: number, dbCpuMs: number, lagMaxS: number, reads: number, readBytes: number, drain: PhaseDrain | null = null): PhaseResult {
  const sorted = BigInt64Array.from(latencies).sort();
  const result: PhaseResult = {
    name,
    connections: connectionsCount,
    sales: latencies.length,
    approved,
    salesPerSec: Math.round(latencies.length / elapsedS),
    p50Ms: Math.round(percentileMs(sorted, 0.5) * 100) / 100,
    p99Ms: Math.round(percentileMs(sorted, 0.99) * 100) / 100,
    skipped,
    cpuMsPerSale: latencies.length === 0 ? 0 : Math.round((cpuMs / latencies.length) * 1000) / 1000,
    dbCpuMsPerSale: latencies.length === 0 ? 0 : Math.round((dbCpuMs / latencies.length) * 1000) / 1000,
    projectorLagMaxS: lagMaxS,
    readsPerSale: latencies.length === 0 ? 0 : Math.round((reads / latencies.length) * 10) / 10,
    readKbPerSale: latencies.length === 0 ? 0 : Math.round((readBytes / 1024 / latencies.length) * 10) / 10,
    drain,
  };
  console.log(
    `${name.padEnd(34)} ${String(connectionsCount).padStart(5)} conns  ${String(result.salesPerSec).padStart(6)} sales/s  p50 ${result.p50Ms.toFixed(2).padStart(7)} ms  p99 ${result.p99Ms.toFixed(2).padStart(8)} ms  approved ${approved}/${latencies.length}${approved < latencies.length ? ` (${[...codes].filter(([code]) => code !== '00').sort((a, b) => b[1] - a[1]).slice(0, 4).map(([code, count]) => `${code}:${count}`).join(' ')})` : ''}  cpu ${result.cpuMsPerSale} ms/sale${benchDatabase === null || !name.startsWith('gateway') ? '' : `  db cpu ${result.dbCpuMsPerSale} ms/sale`}${skipped > 0 ? `  skipped ${skipped}` : ''}${lagMaxS >= 0 ? `  projector lag max ${lagMaxS.toFixed(2)} s` : ''}  reads ${result.readsPerSale}/sale (${result.readKbPerSale} KB)`,
  );
  if (drain !== null) {
    console.log(
      `  then: ${drain.behindEntries} journal entries behind, ${drain.tailSales} answers in flight, projectors caught up ${(drain.drainMs / 1000).toFixed(2)} s after the last answer; CPU after the window ${Math.round(drain.cpuMs)} ms${benchDatabase === null ? '' : ` + db ${Math.round(drain.dbCpuMs)} ms`}; with it ${drain.cpuMsPerSaleAll} ms/sale${benchDatabase === null ? '' : ` + db ${drain.dbCpuMsPerSaleAll} ms/sale = ${Math.round((drain.cpuMsPerSaleAll + drain.dbCpuMsPerSaleAll) * 1000) / 1000} ms`}`,
    );
  }
  return result;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const issuer = await startJson([bin, 'issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--seed', '1', '--connections-max', String(Math.max(2_000, manyConnections + connections + 100)), '--records-max', '2000000']);
  const issuerPort = Number(issuer.info.isoPort);

  // The ceiling: the same terminals through a relay that only cuts and forwards frames.
  const relay = await startJson(['--import', 'tsx', join(root, 'bench', 'framed-relay.ts'), '--upstream-port', String(issuerPort)], root);
  const relayTerminals = fixedOnly ? [] : await openTerminals(Number(relay.info.port), connections, 'R', false);
  const relayResult = fixedOnly ? skippedPhase('relay') : await runMaxRate('relay (ceiling), max rate', relayTerminals, relay.child.pid);
  for (const terminal of relayTerminals) terminal.close();
  relay.child.kill('SIGTERM');
  // Fresh balances for the gateway: the relay phase must not have spent the cards' limits.
  const reset = await fetch(`http://127.0.0.1:${Number(issuer.info.adminPort)}/reset`, { method: 'POST' });
  if (reset.status !== 200) throw new Error(`issuer-sim reset answered ${reset.status}`);

  const terminalIds = Array.from({ length: Math.max(connections, manyConnections) }, (_, i) => `T${String(i + 1).padStart(7, '0')}`);
  const config = {
    database: benchDatabase === null ? { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'full' } : { url: benchDatabase.url },
    security: { panKey: 'bench-auth-pan-key-0123456789', developmentMode: true },
    log: { level: 'error' },
    http: { port: 0, operations: { mode: 'listener', port: 0 } },
    engine: { terminalTimeoutMs: 10_000, inFlightPerTerminalMax: 1 },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en', connectionsMax: Math.max(2_000, manyConnections + connections + 100), connectionsPerAddressMax: Math.max(2_000, manyConnections + connections + 100) }],
    channels: [{ name: 'sim', host: '127.0.0.1', port: issuerPort, timeoutMs: 5_000, echoIntervalMs: 0, connections: 8, inFlightMax: 4096 }],
    merchants: [{ id: merchantId, name: 'Bench shop', mcc: '5411', terminals: terminalIds }],
    // On a shared, loaded machine the node's 5 s lease (renewed every second) lapsed under load and the gateway
    // then refused to send anything (2026-12-06, load average 20; it lapsed at 60 s too at load 23). The bench
    // measures throughput, not failover: a long lease keeps the lease out of the way where it can.
    node: { leaseMs: 60_000 },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (prefill > 0) {
    // The schema first (the gateway would migrate it too), then the history straight into the file.
    const store = await openStore(`sqlite:${join(dir, 'gateway.db')}`);
    await store.close();
    prefillReport = prefillHistory(join(dir, 'gateway.db'), { payments: prefill, merchantId, terminalIds, nowMs: Date.now(), log: (line) => console.log(line) });
    console.log(`gateway.db with history: ${Math.round(statSync(join(dir, 'gateway.db')).size / 1e6)} MB`);
  }
  if (historyFrom !== undefined) {
    const copyingMs = Date.now();
    // A copy-on-write clone where the file system has them (btrfs, XFS), else a plain copy.
    execFileSync('cp', ['--reflink=auto', historyFrom, join(dir, 'gateway.db')]);
    console.log(`gateway.db copied from ${historyFrom} (${Math.round(statSync(historyFrom).size / 1e6)} MB) in ${((Date.now() - copyingMs) / 1000).toFixed(1)} s`);
  }
  if (benchDatabase === null) {
    historyStans = readHistoryStans(join(dir, 'gateway.db'), terminalIds);
    if (historyStans.size > 0) console.log(`history: ${historyStans.size} terminals' STANs go on from their highest in the file (up to ${Math.max(...historyStans.values())})`);
  }
  // BENCH_GATEWAY_CPU_PROF=<dir> profiles the gateway (node --cpu-prof); the profile is written when it exits.
  const profileDir = process.env.BENCH_GATEWAY_CPU_PROF;
  // On a loaded shared machine a PostgreSQL gateway took 61-89 s to start (2026-12-06): 180 s before giving up.
  // With history the gateway's start is measured too (it read history on start: 10 M payments took over 30 s on 2026-12-06).
  const gatewayStartingMs = Date.now();
  const gateway = await startJson([...gatewayNodeFlags, ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]), gatewayBin, 'serve', '--config', join(dir, 'config.json'), '--json'], dir, prefill > 0 ? 1_800 : 180);
  const gatewayStartSeconds = Math.round((Date.now() - gatewayStartingMs) / 100) / 10;
  console.log(`gateway started in ${gatewayStartSeconds} s`);
  // A worktree without `npm install` (node_modules linked from elsewhere) or edited since its build runs the sources through tsx: say which, since the two differ by 34-47 MB of RSS.
  const compiledServer: { freshCompiledEntry(root: string, relativeEntry: string): string | null } = await import(new URL('../bin/compiled-server.mjs', import.meta.url).href);
  console.log(`gateway runs ${compiledServer.freshCompiledEntry(gatewayRoot, 'cli/main.ts') === null ? 'the TypeScript sources through tsx (dist/ missing or older than src/: npm run build:server)' : 'the compiled dist/'}${gatewayRoot === root ? '' : ` of ${gatewayRoot}`}`);
  const gatewayPort = Number((gateway.info.listeners as Record<string, number>).pos);
  if (typeof gateway.info.operations === 'number') projectorLag.attach(gateway.info.operations);
  journalProbe = await openJournalProbe(config.database.url);

  const few = fixedOnly ? [] : await openTerminals(gatewayPort, connections, 'T', true);
  const gatewayResult = fixedOnly ? skippedPhase('gateway, max rate') : await runMaxRate('gateway, max rate', few, gateway.child.pid);
  for (const terminal of few) terminal.close();

  const many = await openTerminals(gatewayPort, manyConnections, 'T', true, 1_996);
  const manyResult = fixedOnly ? skippedPhase('gateway, max rate') : await runMaxRate(`gateway, max rate`, many, gateway.child.pid);
  const fixedResult = await runFixedRate(`gateway, fixed ${fixedRate}/s`, many, fixedRate, gateway.child.pid);
  const gatewayPeakRssMb = peakRssMb(gateway.child.pid);
  for (const terminal of many) terminal.close();
  await journalProbe.close();
  journalProbe = null;
  const gatewayExited = new Promise<void>((resolve) => gateway.child.once('exit', () => resolve()));
  gateway.child.kill('SIGTERM');
  await Promise.race([gatewayExited, delay(20_000)]);

  console.log(`gateway peak RSS (VmHWM, ${manyConnections} terminal connections under load): ${gatewayPeakRssMb} MB (node flags: ${gatewayNodeFlags.join(' ') || 'none'})`);
  const salesPerSec = Math.max(gatewayResult.salesPerSec, manyResult.salesPerSec);
  const best = gatewayResult.salesPerSec >= manyResult.salesPerSec ? gatewayResult : manyResult;
  const ratioVsRelay = relayResult.salesPerSec === 0 ? 0 : Math.round((salesPerSec / relayResult.salesPerSec) * 1000) / 1000;
  if (best.cpuMsPerSale > 0) {
    console.log(`gateway CPU per sale: ${best.cpuMsPerSale} ms (one event loop: at most about ${Math.round(1000 / best.cpuMsPerSale)} sales/s on an idle core); relay: ${relayResult.cpuMsPerSale} ms`);
  }
  if (benchDatabase !== null) {
    console.log(`CPU per sale, gateway + PostgreSQL server: ${best.cpuMsPerSale} + ${best.dbCpuMsPerSale} = ${Math.round((best.cpuMsPerSale + best.dbCpuMsPerSale) * 1000) / 1000} ms`);
  }
  console.log(`gateway / relay: ${ratioVsRelay} (targets: >= 5000 durable sales/s, p99 < 50 ms at 2000/s, < 256 MB with 1000 connections)`);
  console.log(
    JSON.stringify({
      bench: 'auth',
      salesPerSec,
      relaySalesPerSec: relayResult.salesPerSec,
      ratioVsRelay,
      p50Ms: best.p50Ms,
      p99Ms: best.p99Ms,
      p99MsAt2000: fixedResult.p99Ms,
      achievedAtFixedRate: fixedResult.salesPerSec,
      fixedRate,
      gatewayPeakRssMb,
      gatewayCpuMsPerSale: best.cpuMsPerSale,
      gatewayReadsPerSale: best.readsPerSale,
      readsPerSaleAtFixedRate: fixedResult.readsPerSale,
      relayCpuMsPerSale: relayResult.cpuMsPerSale,
      connections: manyConnections,
      bestConnections: best.connections,
      maxRateManyConnections: manyResult.salesPerSec,
      // Both durable per answer: SQLite synchronous=FULL, PostgreSQL synchronous_commit as the server has it (on by default).
      ...(benchDatabase === null ? { store: 'sqlite', synchronous: 'full' } : { store: 'postgres', dbCpuMsPerSale: best.dbCpuMsPerSale, totalCpuMsPerSale: Math.round((best.cpuMsPerSale + best.dbCpuMsPerSale) * 1000) / 1000 }),
      prefill,
      ...(historyFrom === undefined ? {} : { historyFrom }),
      gatewayStartSeconds,
      ...(prefillReport === null ? {} : { prefillPaymentsPerSec: prefillReport.paymentsPerSec, prefillSeconds: Math.round(prefillReport.seconds) }),
      projectorLagMaxS: Math.max(gatewayResult.projectorLagMaxS, manyResult.projectorLagMaxS, fixedResult.projectorLagMaxS),
      // Each gateway window starts with the projectors caught up and is followed by their drain: CPU per sale with the derived work.
      drainSeconds: [gatewayResult, manyResult, fixedResult].map((phase) => Math.round((phase.drain?.drainMs ?? 0) / 10) / 100),
      cpuMsPerSaleWithProjectors: best.drain?.cpuMsPerSaleAll ?? 0,
      ...(benchDatabase === null ? {} : { dbCpuMsPerSaleWithProjectors: best.drain?.dbCpuMsPerSaleAll ?? 0 }),
      gatewayNodeFlags: gatewayNodeFlags.join(' '),
    }),
  );
}

/** Creates a fresh database on the --postgres server: a bench must not replay keys stored by an earlier run. */
async function createBenchDatabase(serverUrl: string): Promise<NonNullable<typeof benchDatabase>> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `reswipe_bench_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { admin, name, url: url.toString() };
}

try {
  if (values.postgres !== undefined) benchDatabase = await createBenchDatabase(values.postgres);
  await main();
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await delay(200);
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  if (benchDatabase !== null) {
    await delay(500);
    await benchDatabase.admin.query(`DROP DATABASE IF EXISTS ${benchDatabase.name} WITH (FORCE)`).catch((error: unknown) => console.error(`could not drop ${benchDatabase?.name}: ${String(error)}`));
    await benchDatabase.admin.end();
  }
}
