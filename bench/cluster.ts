// Benchmark: sales per second and CPU per sale with one, two and three `reswipe serve` processes on
// one PostgreSQL database, against the issuer simulator (a real process, over TCP), with HTTP sales
// spread round-robin over the nodes (keep-alive sockets). The baseline is one node, measured in the
// same run; each phase prints its ratio against it. CPU per sale is read from /proc: the gateway
// processes, and every `postgres` process of this machine (the server's backends, its WAL writer and
// checkpointer; other work on the server is counted too, so run it on a quiet one). Peak RSS is each
// node's VmHWM. Usage: npm run bench:cluster [-- --sales 3000 --concurrency 48 --postgres <url>]
// The last line is JSON for scripts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { percentile, postJson, runLanes } from './bench-helpers.ts';

const { values } = parseArgs({
  options: {
    sales: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '48' },
    postgres: { type: 'string', default: process.env.RESWIPE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    nodes: { type: 'string', default: '1,2,3' },
  },
});
const sales = Number(values.sales);
const concurrency = Number(values.concurrency);
// Every sale takes a new amount from the simulator's four richest cards (¥400,000 in all).
if (!Number.isSafeInteger(sales) || sales < 100 || sales > 5_000) throw new Error('--sales must be 100..5000');
if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new Error('--concurrency must be 1..1000');
const nodeCounts = values.nodes.split(',').map(Number);
if (nodeCounts.some((count) => !Number.isSafeInteger(count) || count < 1 || count > 8) || nodeCounts[0] !== 1) throw new Error('--nodes must start with 1 (the baseline), each 1..8');

const reswipeBin = fileURLToPath(new URL('../bin/reswipe.mjs', import.meta.url));
const merchantId = 'M00000000000001';
/** The simulator's approving cards with the most room (¥100,000 each); sales take turns on them. */
const richCards = ['6222020000000000018', '8112340000000013', '4319400000000018', '5200828282828210'];
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const childEnv: NodeJS.ProcessEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RESWIPE_'))), RESWIPE_DEVELOPMENT_MODE: '1', RESWIPE_LOG_LEVEL: 'warn' };

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
}

/** CPU seconds of every process named `postgres` (the server and its backends, of any user). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / clockTicks;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}

/** Starts `reswipe <args>` and resolves with the JSON of its first stdout line. */
function startJson(args: string[], cwd: string): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, [reswipeBin, ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args[0]} did not start: ${stderr}`));
    }, 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      resolve({ child, info: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown> });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited (${code}): ${stderr}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}


interface Phase {
  nodes: number;
  salesPerSecond: number;
  gatewayCpuMsPerSale: number;
  postgresCpuMsPerSale: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number[];
  approved: number;
}

const dir = mkdtempSync(join(tmpdir(), 'reswipe-bench-cluster-'));
const databaseName = `reswipe_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: values.postgres });
await admin.connect();
await admin.query(`CREATE DATABASE ${databaseName}`);
const databaseUrl = new URL(values.postgres);
databaseUrl.pathname = `/${databaseName}`;
const children: ChildProcess[] = [];
let keyNo = 0;
let declinedShown = 0;
try {
  const sim = await startJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], dir);
  children.push(sim.child);
  const configFor = (index: number): string => {
    const path = join(dir, `node-${index}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        database: { url: databaseUrl.toString() },
        security: { panKey: 'bench-cluster-pan-key-0123456789', developmentMode: true },
        http: { port: 0, rateLimit: { perKey: { max: 1_000_000 }, perAddress: { max: 1_000_000 } } },
        engine: { terminalTimeoutMs: 15_000, autoRetriesMax: 0 },
        listeners: [],
        channels: [{ name: 'sim', host: '127.0.0.1', port: Number(sim.info.isoPort), timeoutMs: 10_000, echoIntervalMs: 0, connections: 2 }],
        merchants: [{ id: merchantId, name: 'Bench', mcc: '5411', accepts: ['debit', 'credit'], terminals: ['T0000001'] }],
      }),
    );
    return path;
  };
  const phases: Phase[] = [];
  let merchantKey = '';
  for (const count of nodeCounts) {
    const nodes = await Promise.all(Array.from({ length: count }, (_, index) => startJson(['serve', '--config', configFor(index), '--json'], dir)));
    children.push(...nodes.map((node) => node.child));
    if (merchantKey === '') {
      const created = spawnSync(process.execPath, [reswipeBin, 'keys', 'create', '--config', configFor(0), '--merchant', merchantId], { cwd: dir, env: childEnv, encoding: 'utf8' });
      if (created.status !== 0) throw new Error(`keys create: ${created.stderr}`);
      merchantKey = created.stdout.trim();
    }
    const ports = nodes.map((node) => Number(node.info.http));
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    let approved = 0;
    const sale = async (n: number): Promise<void> => {
      keyNo += 1;
      const port = ports[n % ports.length] ?? 0;
      // A different amount every sale: the re-swipe guard never sees the same card and amount twice.
      const body = JSON.stringify({ amountMinor: 100 + keyNo, currency: 'CNY', card: { number: richCards[keyNo % richCards.length], expiry: '3012', cvv: '123', entryMode: 'manual' } });
      const answer = await postJson(agent, port, '/v1/payments', { authorization: `Bearer ${merchantKey}`, 'idempotency-key': `bench-${keyNo}` }, body);
      if (answer.status !== 201) throw new Error(`sale ${n}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
      const status = (JSON.parse(answer.body) as { status: string; responseCode?: string }).status;
      if (status === 'approved') approved += 1;
      else if (declinedShown++ < 3) console.error(`not approved: ${answer.body.slice(0, 300)}`);
    };
    // Warm-up: connections, prepared statements, JIT, caches.
    await runLanes(Math.min(300, sales), concurrency, sale);
    approved = 0;
    const gatewayCpuBefore = nodes.reduce((sum, node) => sum + cpuSeconds(node.child.pid ?? 0), 0);
    const postgresCpuBefore = postgresCpuSeconds();
    const startedMs = performance.now();
    const latenciesMs = await runLanes(sales, concurrency, sale);
    const elapsedMs = performance.now() - startedMs;
    const gatewayCpu = nodes.reduce((sum, node) => sum + cpuSeconds(node.child.pid ?? 0), 0) - gatewayCpuBefore;
    const postgresCpu = postgresCpuSeconds() - postgresCpuBefore;
    agent.destroy();
    const phase: Phase = {
      nodes: count,
      salesPerSecond: Math.round((sales / elapsedMs) * 1000),
      gatewayCpuMsPerSale: Number(((gatewayCpu * 1000) / sales).toFixed(2)),
      postgresCpuMsPerSale: Number(((postgresCpu * 1000) / sales).toFixed(2)),
      p50Ms: Number(percentile(latenciesMs, 50).toFixed(1)),
      p99Ms: Number(percentile(latenciesMs, 99).toFixed(1)),
      peakRssMb: nodes.map((node) => Math.round(peakRssMb(node.child.pid ?? 0))),
      approved,
    };
    phases.push(phase);
    await Promise.all(nodes.map((node) => stop(node.child)));
  }
  const baseline = phases[0];
  console.log(`sales per phase: ${sales}, ${concurrency} concurrent HTTP clients spread over the nodes; PostgreSQL ${databaseUrl.host}; ${clockTicks} ticks/s`);
  for (const phase of phases) {
    const ratio = baseline === undefined ? 1 : phase.salesPerSecond / baseline.salesPerSecond;
    console.log(
      `${phase.nodes} node(s): ${phase.salesPerSecond} sales/s (x${ratio.toFixed(2)} of one node), CPU per sale: gateways ${phase.gatewayCpuMsPerSale} ms, PostgreSQL ${phase.postgresCpuMsPerSale} ms; latency p50 ${phase.p50Ms} ms, p99 ${phase.p99Ms} ms; peak RSS per node ${phase.peakRssMb.join(', ')} MB; ${phase.approved} approved`,
    );
  }
  console.log(JSON.stringify({ sales, concurrency, phases: phases.map((phase) => ({ ...phase, ratio: baseline === undefined ? 1 : Number((phase.salesPerSecond / baseline.salesPerSecond).toFixed(3)) })) }));
} finally {
  for (const child of children.reverse()) await stop(child);
  await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
