// Preload for the gateway (node --import): finds the event loop's stalls and says what ran in them.
// A 10 ms interval timer notes each time it fires late; a late firing of more than STALL_MS (default 25)
// is a stall, and the SQLite statements (timed by wrapping better-sqlite3, as sql-timing-preload.mjs
// does) and garbage collections that ran in its window are attributed to it. Group-commit batches are
// recorded from BEGIN IMMEDIATE to COMMIT (the store runs them as prepared statements; the first version
// of this file watched only `exec` and so saw almost no batch of the current store): units (savepoints),
// synchronous time, whether a projector unit was in it, and the WAL fdatasync that followed it (fs.fdatasync
// is wrapped). At exit it writes $STALL_DIR/loop-stalls-<pid>.txt (default the temp dir): the loop delay
// histogram, the stalls by size with their top statements, the batches, the syncs, the gaps between
// batches, BEGIN IMMEDIATE and COMMIT times, and the statements by total time.
//   BENCH_GATEWAY_NODE_FLAGS="--max-semi-space-size=16 --max-old-space-size=384 --import $PWD/bench/loop-stall-preload.mjs" npm run bench:auth
// STALL_TIMELINE=1 also writes loop-timeline-<pid>.txt: every batch, stall and GC with its epoch time, for
// bench/tail-attribution.mjs beside the sales bench:auth wrote with BENCH_SALES_FILE.
// Wall time: on a shared machine a stall includes time the process was not scheduled (CPU time per
// stall is printed beside it from process.cpuUsage to tell the two apart).
import fs, { writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
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
/** Every BEGIN IMMEDIATE and COMMIT's time on the loop, for their distribution. */
const controlTimes = {};
/** Total time and count per statement over the whole run. */
const totals = new Map();
function note(key, startMs) {
  const durMs = performance.now() - startMs;
  if (key === 'BEGIN IMMEDIATE' || key === 'COMMIT') (controlTimes[key] ??= []).push(durMs);
  const total = totals.get(key);
  if (total === undefined) totals.set(key, [durMs, 1]);
  else {
    total[0] += durMs;
    total[1] += 1;
  }
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
/** Transaction control as the store runs it (prepared statements since 2026-12-06; `exec` before). */
function onControl(sql, startMs) {
  if (sql.startsWith('BEGIN')) batch = { startMs, units: 1, statements: 0, entries: 0, projector: false, analytics: false, cpuStart: process.cpuUsage() };
  else if (batch !== null && sql.startsWith('RELEASE SAVEPOINT reswipe_unit')) batch.units += 1;
}
function afterControl(sql, startMs) {
  if (sql !== 'COMMIT' || batch === null) return;
  const nowMs = performance.now();
  const cpu = process.cpuUsage(batch.cpuStart);
  const done = { startMs: batch.startMs, ms: nowMs - batch.startMs, commitMs: nowMs - startMs, cpuMs: (cpu.user + cpu.system) / 1000, units: batch.units, statements: batch.statements, entries: batch.entries, projector: batch.projector, analytics: batch.analytics, syncMs: -1 };
  batches.push(done);
  lastCommitted = done;
  batch = null;
}
let lastCommitted = null;
const isControl = (sql) => /^(BEGIN|COMMIT|SAVEPOINT reswipe_unit|RELEASE SAVEPOINT reswipe_unit|ROLLBACK)/.test(sql);
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function timedPrepare(sql) {
  const statement = prepare.call(this, sql);
  const key = keyOf(sql);
  const control = isControl(sql.trim()) ? sql.trim() : null;
  // The payment projector's list upsert copies the journal range (after, through]: its batch's entries.
  const projection = /^INSERT INTO payment_list .* journal_seq > \? AND journal_seq <= \?/s.test(sql.replace(/\s+/g, ' '));
  for (const method of ['run', 'all', 'get']) {
    const original = statement[method].bind(statement);
    statement[method] = (...args) => {
      if (projection && batch !== null) batch.entries += Number(args[1]) - Number(args[0]);
      if (control === null) return timed(key, () => original(...args));
      const startMs = performance.now();
      onControl(control, startMs);
      try {
        return original(...args);
      } finally {
        note(key, startMs);
        afterControl(control, startMs);
      }
    };
  }
  return statement;
};
const exec = Database.prototype.exec;
Database.prototype.exec = function timedExec(sql) {
  const startMs = performance.now();
  onControl(sql, startMs);
  try {
    return exec.call(this, sql);
  } finally {
    note(`EXEC ${sql.slice(0, 40)}`, startMs);
    afterControl(sql, startMs);
  }
};

// The WAL fdatasync after each COMMIT (run on the thread pool): its time is added to the batch it follows.
const fdatasync = fs.fdatasync;
fs.fdatasync = function timedFdatasync(fd, callback) {
  const startMs = performance.now();
  const owner = lastCommitted;
  return fdatasync.call(this, fd, (error) => {
    const ms = performance.now() - startMs;
    if (owner !== null && owner.syncMs < 0) owner.syncMs = ms;
    callback(error);
  });
};
syncBuiltinESMExports();

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
  for (const [key, list] of Object.entries(controlTimes)) lines.push(`${key} on the loop: ${list.length}, ms ${qs(list, (ms) => ms)}, ${list.filter((ms) => ms > 5).length} over 5 ms (${list.filter((ms) => ms > 5).reduce((a, b) => a + b, 0).toFixed(0)} ms in all)`);
  const synced = batches.filter((b) => b.syncMs >= 0);
  if (synced.length > 0) lines.push(`WAL fdatasync after COMMIT: ${synced.length}, ms ${qs(synced, (b) => b.syncMs)}`);
  // From one batch's end (its sync) to the next one's BEGIN: the collecting turn, a finishing checkpoint, other work on the loop.
  const gaps = [];
  for (let i = 1; i < batches.length; i++) {
    const before = batches[i - 1];
    gaps.push(batches[i].startMs - (before.startMs + before.ms + Math.max(0, before.syncMs)));
  }
  if (gaps.length > 0) lines.push(`gap from a batch's sync to the next BEGIN: ms ${qs(gaps, (g) => g)}`);
  const all = batches;
  if (all.length > 0) lines.push(`all batches: ${all.length}, units ${sum(all, (b) => b.units)} (${qs(all, (b) => b.units)}); wall ms ${qs(all, (b) => b.ms)}`);
  if (process.env.STALL_TIMELINE === '1') {
    // Epoch ms, to put beside BENCH_SALES_FILE: B start units wallMs cpuMs syncMs projector analytics | S start ms cpu gc sql | G start ms kind
    const origin = performance.timeOrigin;
    const timeline = [
      ...batches.map((b) => `B ${(origin + b.startMs).toFixed(1)} ${b.units} ${b.ms.toFixed(2)} ${b.cpuMs.toFixed(2)} ${b.syncMs.toFixed(2)} ${b.projector ? 1 : 0} ${b.analytics ? 1 : 0}`),
      ...stalls.map((x) => `S ${(origin + x.atMs).toFixed(1)} ${x.ms.toFixed(1)} ${x.cpuMs.toFixed(1)} ${x.gcMs.toFixed(1)} ${x.sqlMs.toFixed(1)}`),
      ...gcs.map(([startMs, ms, kind]) => `G ${(origin + startMs).toFixed(1)} ${ms.toFixed(2)} ${kind}`),
    ];
    writeFileSync(join(process.env.STALL_DIR ?? tmpdir(), `loop-timeline-${process.pid}.txt`), `${timeline.join('\n')}\n`);
  }
  const gcKinds = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak callbacks' };
  for (const [kind, label] of Object.entries(gcKinds)) {
    const pauses = gcs.filter(([, , k]) => k === Number(kind));
    if (pauses.length > 0) lines.push(`gc ${label}: ${pauses.length} pauses, ${sum(pauses, ([, ms]) => ms).toFixed(0)} ms in all; ms ${qs(pauses, ([, ms]) => ms)}`);
  }
  lines.push('', 'statements by total time (ms in all, calls, µs per call):');
  for (const [key, [ms, calls]] of [...totals].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25)) lines.push(`${ms.toFixed(0).padStart(7)} ms ${String(calls).padStart(7)} ${((ms * 1000) / calls).toFixed(0).padStart(6)} µs  ${key.replace(/\s+/g, ' ')}`);
  lines.push('', 'the 40 longest stalls (wall ms, cpu ms of the process in it, sql ms, gc ms, top statements):');
  for (const stall of [...stalls].sort((a, b) => b.ms - a.ms).slice(0, 40)) {
    lines.push(`${stall.ms.toFixed(0).padStart(5)} ms at ${(stall.atMs / 1000).toFixed(1)} s  cpu ${stall.cpuMs.toFixed(0)}  sql ${stall.sqlMs.toFixed(0)}  gc ${stall.gcMs.toFixed(0)}  ${stall.top.map(([k, ms]) => `${ms.toFixed(1)} ${k}`).join(' | ')}`);
  }
  writeFileSync(join(process.env.STALL_DIR ?? tmpdir(), `loop-stalls-${process.pid}.txt`), `${lines.join('\n')}\n`);
});
