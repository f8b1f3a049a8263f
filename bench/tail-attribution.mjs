// Puts each sale of a fixed-rate bench:auth run beside what the gateway did during it, to say what the
// slowest sales are made of. Inputs, from one run:
//   BENCH_SALES_FILE=<dir>/sales.txt                    (bench/auth.ts: `sentEpochMs latencyMs` per sale)
//   STALL_TIMELINE=1 STALL_DIR=<dir> with the preload   (bench/loop-stall-preload.mjs: batches, stalls, GCs)
// Usage: node bench/tail-attribution.mjs <dir>
// For the slowest 1 % of the sales and for the sales around the median it prints, averaged per sale:
// the group-commit batches that ran while the sale was open (count, loop time in all, loop time of those
// holding a projector unit, the largest in units), the WAL fdatasync time of those batches (in all, the
// longest), and the garbage collection pauses. A term that is much larger for the slowest sales than for
// the median ones is what the tail is made of. It also prints p50/p99 per second of the window, to tell a
// tail spread over the run from one episode. Wall times: on a loaded machine they include descheduling.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node bench/tail-attribution.mjs <dir holding sales.txt and loop-timeline-*.txt>');
const timelineName = readdirSync(dir).find((name) => name.startsWith('loop-timeline-'));
if (timelineName === undefined) throw new Error(`no loop-timeline-*.txt in ${dir}: run the gateway with STALL_TIMELINE=1`);
const lines = (name) => readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line.trim() !== '');

const sales = lines('sales.txt').map((line) => line.split(' ').map(Number));
const batches = [];
const gcs = [];
for (const line of lines(timelineName)) {
  const [kind, ...rest] = line.split(' ');
  if (kind === 'B') {
    const [startMs, units, wallMs, cpuMs, syncMs, projector, analytics] = rest.map(Number);
    batches.push({ startMs, units, wallMs, cpuMs, syncMs: Math.max(0, syncMs), projector: projector === 1 || analytics === 1 });
  } else if (kind === 'G') gcs.push({ startMs: Number(rest[0]), ms: Number(rest[1]) });
}
batches.sort((a, b) => a.startMs - b.startMs);
gcs.sort((a, b) => a.startMs - b.startMs);

/** First index whose startMs is >= atMs. */
function lowerBound(list, atMs) {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (list[middle].startMs < atMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** What ran while one sale was open: batches overlapping [sent, answered], GCs starting in it. */
function during([sentMs, latencyMs]) {
  const endMs = sentMs + latencyMs;
  const overlapping = [];
  // A batch lasts far less than a second; start a second earlier to catch the one running when the sale came in.
  for (let i = lowerBound(batches, sentMs - 1000); i < batches.length && batches[i].startMs < endMs; i++) {
    const batch = batches[i];
    if (batch.startMs + batch.wallMs + batch.syncMs > sentMs) overlapping.push(batch);
  }
  let gcMs = 0;
  for (let i = lowerBound(gcs, sentMs); i < gcs.length && gcs[i].startMs < endMs; i++) gcMs += gcs[i].ms;
  return {
    batches: overlapping.length,
    batchLoopMs: overlapping.reduce((sum, batch) => sum + batch.wallMs, 0),
    projectorBatchLoopMs: overlapping.filter((batch) => batch.projector).reduce((sum, batch) => sum + batch.wallMs, 0),
    largestBatchUnits: Math.max(0, ...overlapping.map((batch) => batch.units)),
    syncMs: overlapping.reduce((sum, batch) => sum + batch.syncMs, 0),
    longestSyncMs: Math.max(0, ...overlapping.map((batch) => batch.syncMs)),
    gcMs,
  };
}

function describe(name, group) {
  if (group.length === 0) return;
  const terms = group.map(during);
  const mean = (pick) => (terms.reduce((sum, term) => sum + pick(term), 0) / terms.length).toFixed(1);
  const latency = (group.reduce((sum, sale) => sum + sale[1], 0) / group.length).toFixed(1);
  console.log(
    `${name} (${group.length} sales, latency ${latency} ms on average): batches ${mean((t) => t.batches)}, their loop ms ${mean((t) => t.batchLoopMs)} (with a projector unit ${mean((t) => t.projectorBatchLoopMs)}), largest ${mean((t) => t.largestBatchUnits)} units; WAL sync ms ${mean((t) => t.syncMs)} (longest ${mean((t) => t.longestSyncMs)}); GC ms ${mean((t) => t.gcMs)}`,
  );
}

const latencies = sales.map((sale) => sale[1]).sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
console.log(`${sales.length} sales: p50 ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)}, p99 ${at(0.99).toFixed(1)}, max ${at(1).toFixed(1)}`);
describe('slowest 1 %', sales.filter((sale) => sale[1] >= at(0.99)));
describe('p45-p55', sales.filter((sale) => sale[1] >= at(0.45) && sale[1] <= at(0.55)));
const firstMs = Math.min(...sales.map((sale) => sale[0]));
const bySecond = new Map();
for (const sale of sales) {
  const second = Math.floor((sale[0] - firstMs) / 1000);
  bySecond.set(second, [...(bySecond.get(second) ?? []), sale[1]]);
}
const perSecond = [...bySecond].sort((a, b) => a[0] - b[0]).map(([second, list]) => {
  list.sort((a, b) => a - b);
  return `${second}: ${list[Math.floor(list.length / 2)].toFixed(0)}/${list[Math.min(list.length - 1, Math.floor(0.99 * list.length))].toFixed(0)}`;
});
console.log(`p50/p99 ms by second of the window: ${perSecond.join(', ')}`);
