// Preload for the gateway (node --import): finds the event loop's stalls and says what ran in them.
// A 10 ms interval timer notes each time it fires late; a late firing of more than STALL_MS (default 25)
// is a stall, and the SQLite statements (timed by wrapping better-sqlite3, as sql-timing-preload.mjs
// does) and garbage collections that ran in its window are attributed to it. Group-commit batches are
// recorded from BEGIN IMMEDIATE to COMMIT: units (savepoints), synchronous time, and whether a
// projector unit was in it. At exit it writes $STALL_DIR/loop-stalls-<pid>.txt (default the temp dir):
// the loop delay histogram, the stalls by size with their top statements, and the batches.
//   BENCH_GATEWAY_NODE_FLAGS="--max-semi-space-size=16 --max-old-space-size=384 --import $PWD/bench/loop-stall-preload.mjs" npm run bench:auth
// Wall time: on a shared machine a stall includes time the process was not scheduled (CPU time per
// stall is printed beside it from process.cpuUsage to tell the two apart).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

const Database = createRequire(import.meta.url)('better-sqlite3');
const stallMs = Number(process.env.STALL_MS ?? 25);
const tickMs = 10;
/** Statements of the last few seconds: [startMs, durMs, key]. */
const recent = [];
const gcs = [];
const stalls = [];
const batches = [];
let batch = null;

function keyOf(sql) {
  return sql.replace(/\s+/g, ' ').slice(0, 70);
}
function note(key, startMs) {
  const durMs = performance.now() - startMs;
  recent.push([startMs, durMs, key]);
  if (recent.length > 200_000) recent.splice(0, 100_000);
  if (batch !== null) {
    batch.statements += 1;
    if (key.includes('payment_list')) batch.projector = true;
    if (key.includes('analytics_')) batch.analytics = true;
  }
}
function timed(key, call) {
  const startMs = performance.now();
  try {
    return call();
  } finally {
    note(key, startMs);
  }
}
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function timedPrepare(sql) {
  const statement = prepare.call(this, sql);
  const key = keyOf(sql);
  // The payment projector's list upsert copies the journal range (after, through]: its batch's entries.
  const projection = /^INSERT INTO payment_list .* journal_seq > \? AND journal_seq <= \?/s.test(sql.replace(/\s+/g, ' '));
  for (const method of ['run', 'all', 'get']) {
    const original = statement[method].bind(statement);
    statement[method] = (...args) => {
      if (projection && batch !== null) batch.entries += Number(args[1]) - Number(args[0]);
      return timed(key, () => original(...args));
    };
  }
  return statement;
};
const exec = Database.prototype.exec;
Database.prototype.exec = function timedExec(sql) {
  const startMs = performance.now();
  if (sql.startsWith('BEGIN')) batch = { startMs, units: 1, statements: 0, entries: 0, projector: false, analytics: false, cpuStart: process.cpuUsage() };
  if (batch !== null && sql.includes('SAVEPOINT reswipe_unit') && sql.startsWith('RELEASE')) batch.units += 1;
  try {
    return exec.call(this, sql);
  } finally {
    note(`EXEC ${sql.slice(0, 40)}`, startMs);
    if (sql === 'COMMIT' && batch !== null) {
      const cpu = process.cpuUsage(batch.cpuStart);
      batches.push({ ms: performance.now() - batch.startMs, commitMs: performance.now() - startMs, cpuMs: (cpu.user + cpu.system) / 1000, units: batch.units, statements: batch.statements, entries: batch.entries, projector: batch.projector, analytics: batch.analytics });
      batch = null;
    }
  }
};

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push([entry.startTime, entry.duration, entry.detail?.kind ?? entry.kind]);
}).observe({ entryTypes: ['gc'] });

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
let lastMs = performance.now();
let lastCpu = process.cpuUsage();
setInterval(() => {
  const nowMs = performance.now();
  const lateMs = nowMs - lastMs - tickMs;
  const cpu = process.cpuUsage(lastCpu);
  if (lateMs > stallMs) {
    const fromMs = lastMs;
    const byKey = new Map();
    let sqlMs = 0;
    for (let i = recent.length - 1; i >= 0 && recent[i][0] >= fromMs - 1; i--) {
      const [, durMs, key] = recent[i];
      sqlMs += durMs;
      byKey.set(key, (byKey.get(key) ?? 0) + durMs);
    }
    const gcMs = gcs.filter(([startMs]) => startMs >= fromMs).reduce((sum, [, durMs]) => sum + durMs, 0);
    stalls.push({ atMs: fromMs, ms: nowMs - fromMs, cpuMs: (cpu.user + cpu.system) / 1000, sqlMs, gcMs, top: [...byKey].sort((a, b) => b[1] - a[1]).slice(0, 6) });
  }
  lastMs = nowMs;
  lastCpu = process.cpuUsage();
}, tickMs).unref();

process.on('exit', () => {
  const lines = [];
  const pct = (q) => (histogram.percentile(q) / 1e6).toFixed(1);
  lines.push(`event loop delay (ms): p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} p99.9 ${pct(99.9)} max ${(histogram.max / 1e6).toFixed(1)}`);
  const buckets = [25, 50, 100, 200, Infinity];
  lines.push(`stalls over ${stallMs} ms: ${stalls.length}; by size: ${buckets.map((b, i) => `${i === 0 ? stallMs : buckets[i - 1]}-${b}: ${stalls.filter((s) => s.ms >= (i === 0 ? stallMs : buckets[i - 1]) && s.ms < b).length}`).join(', ')}`);
  const sum = (list, f) => list.reduce((s, x) => s + f(x), 0);
  const qs = (list, f) => { const v = list.map(f).sort((a, b) => a - b); const q = (p) => (v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? 0).toFixed(1); return `p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${q(1)}`; };
  for (const [name, list] of [['batches without a projector unit', batches.filter((b) => !b.projector && !b.analytics)], ['batches with a payment projector unit', batches.filter((b) => b.projector)], ['batches with an analytics unit', batches.filter((b) => b.analytics)]]) {
    if (list.length === 0) continue;
    lines.push(`${name}: ${list.length}, units ${sum(list, (b) => b.units)} (${qs(list, (b) => b.units)}); wall ms ${qs(list, (b) => b.ms)}; cpu ms ${qs(list, (b) => b.cpuMs)}; COMMIT ms ${qs(list, (b) => b.commitMs)}`);
    if (list[0]?.projector === true) lines.push(`  journal entries projected per payment projector unit: ${sum(list, (b) => b.entries)} in all (${qs(list, (b) => b.entries)})`);
  }
  const gcKinds = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak callbacks' };
  for (const [kind, label] of Object.entries(gcKinds)) {
    const pauses = gcs.filter(([, , k]) => k === Number(kind));
    if (pauses.length > 0) lines.push(`gc ${label}: ${pauses.length} pauses, ${sum(pauses, ([, ms]) => ms).toFixed(0)} ms in all; ms ${qs(pauses, ([, ms]) => ms)}`);
  }
  lines.push('', 'the 40 longest stalls (wall ms, cpu ms of the process in it, sql ms, gc ms, top statements):');
  for (const stall of [...stalls].sort((a, b) => b.ms - a.ms).slice(0, 40)) {
    lines.push(`${stall.ms.toFixed(0).padStart(5)} ms at ${(stall.atMs / 1000).toFixed(1)} s  cpu ${stall.cpuMs.toFixed(0)}  sql ${stall.sqlMs.toFixed(0)}  gc ${stall.gcMs.toFixed(0)}  ${stall.top.map(([k, ms]) => `${ms.toFixed(1)} ${k}`).join(' | ')}`);
  }
  writeFileSync(join(process.env.STALL_DIR ?? tmpdir(), `loop-stalls-${process.pid}.txt`), `${lines.join('\n')}\n`);
});
