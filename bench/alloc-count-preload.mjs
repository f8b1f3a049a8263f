// Preload for the gateway (node --import): counts what the process allocates and collects per answer
// written to a terminal, and writes it when the process exits to $ALLOC_COUNT_DIR (default the temp
// dir) as alloc-count-<pid>.txt:
// - bytes allocated: V8's sampling heap profiler with the objects collected by both collectors kept,
//   so the sampled total estimates everything allocated, not what survived; plus the top allocating
//   functions (self bytes);
// - collections: a `gc` PerformanceObserver (scavenges, mark-compacts, summed pauses);
// - answers: writes on accepted sockets (the terminal link; the upstream channel's socket is a client);
// - with ALLOC_COUNT_PROMISES=1 also the promises created (an async_hooks init hook: slows promises
//   down, so CPU figures of such a run mean nothing).
// Counting starts at the first sale answer (module loading and start-up left out); warm-ups are included. Used for docs/benchmarks.md:
//   BENCH_GATEWAY_NODE_FLAGS="--max-semi-space-size=16 --max-old-space-size=384 --import $PWD/bench/alloc-count-preload.mjs" npm run bench:auth
import { createHook } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';

let answers = 0;
// Sale and pre-authorization answers (MTI 0210 / 0110 in ASCII after bench:auth's 2-byte length prefix):
// the other answers are sign-ons, whose number depends on the phases, not on the load.
let saleAnswers = 0;
const write = Socket.prototype.write;
Socket.prototype.write = function countedWrite(...args) {
  if (this.server !== undefined && this.server !== null) {
    if (counting) answers += 1;
    const frame = args[0];
    if (frame instanceof Uint8Array && frame.length > 6 && frame[2] === 0x30 && frame[4] === 0x31 && frame[5] === 0x30 && (frame[3] === 0x32 || frame[3] === 0x31)) {
      if (!counting) startCounting();
      saleAnswers += 1;
    }
  }
  if (!counting) return write.apply(this, args);
  return write.apply(this, args);
};

const collections = { minor: 0, major: 0, other: 0, minorMs: 0, majorMs: 0, otherMs: 0 };
new PerformanceObserver((list) => {
  if (!counting) return;
  for (const entry of list.getEntries()) {
    const kind = entry.detail?.kind ?? entry.kind;
    const key = kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : kind === constants.NODE_PERFORMANCE_GC_MAJOR ? 'major' : 'other';
    collections[key] += 1;
    collections[`${key}Ms`] += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

let promises = 0;
// One promise in promiseSampleEvery has its creating stack kept: the first three frames outside
// node's internals, so an `async` function's own promise and the await inside it are told apart.
const promiseSampleEvery = 97;
const promisesByCreator = new Map();
if (process.env.ALLOC_COUNT_PROMISES === '1') {
  createHook({
    init(_id, type) {
      if (type !== 'PROMISE' || !counting) return;
      promises += 1;
      if (promises % promiseSampleEvery !== 0) return;
      const frames = (new Error().stack ?? '').split('\n').slice(1).map((line) => line.trim().replace(/^at /, '').replace(/\(?file:\/\/\S*?\/(src|node_modules)\//, '$1/').replace(/\)$/, ''));
      const creator = frames.filter((frame) => !frame.includes('node:internal') && !frame.includes('alloc-count-preload')).slice(0, 3).join(' < ');
      promisesByCreator.set(creator, (promisesByCreator.get(creator) ?? 0) + promiseSampleEvery);
    },
  }).enable();
}

// Counting starts with the first sale answer, so module loading and the gateway's start stay out of it.
let counting = false;
const session = new Session();
session.connect();
function startCounting() {
  counting = true;
  session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}

function frameName(callFrame) {
  const url = callFrame.url.replace(/^file:\/\/\S*?\/(src|node_modules)\//, '$1/');
  return `${callFrame.functionName || '(anon)'} ${url}:${callFrame.lineNumber + 1}`;
}

process.on('exit', () => {
  // The inspector session of the main thread answers synchronously, so this works in an exit handler.
  let profile = null;
  session.post('HeapProfiler.getSamplingProfile', (error, result) => { if (!error) profile = result.profile; });
  const bySelf = new Map();
  // Built-ins (join, map, Promise.then...) have no place of their own: also counted by their JS caller.
  const byBuiltinCaller = new Map();
  let bytes = 0;
  const visit = (node, parentName) => {
    bytes += node.selfSize;
    const name = frameName(node.callFrame);
    bySelf.set(name, (bySelf.get(name) ?? 0) + node.selfSize);
    if (node.callFrame.url === '' && node.selfSize > 0) {
      const key = `${name} < ${parentName}`;
      byBuiltinCaller.set(key, (byBuiltinCaller.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) visit(child, name);
  };
  if (profile !== null) visit(profile.head, '(root)');
  const perAnswer = (n) => (answers === 0 ? 'n/a' : (n / answers).toFixed(2));
  const perSale = (n) => (saleAnswers === 0 ? 'n/a' : (n / saleAnswers).toFixed(2));
  const lines = [
    `answers ${answers}, of them sale answers (0210, 0110) ${saleAnswers}`,
    `per sale answer: ${perSale(bytes / 1024)} KB allocated, ${perSale(collections.minor * 1000)} scavenges per 1000${process.env.ALLOC_COUNT_PROMISES === '1' ? `, ${perSale(promises)} promises` : ''}`,
    `bytes allocated ${bytes} (${perAnswer(bytes / 1024)} KB per answer)`,
    `scavenges ${collections.minor} (${perAnswer(collections.minor * 1000)} per 1000 answers), ${collections.minorMs.toFixed(0)} ms`,
    `mark-compacts ${collections.major}, ${collections.majorMs.toFixed(0)} ms; other collections ${collections.other}, ${collections.otherMs.toFixed(0)} ms`,
    `gc pauses per answer ${perAnswer(collections.minorMs + collections.majorMs + collections.otherMs)} ms`,
    ...(process.env.ALLOC_COUNT_PROMISES === '1'
      ? [
          `promises ${promises} (${perAnswer(promises)} per answer)`,
          '--- promises by creator (sampled)',
          ...[...promisesByCreator].sort((a, b) => b[1] - a[1]).slice(0, 60).map(([creator, count]) => `${perSale(count).padStart(8)} per sale answer  ${creator}`),
        ]
      : []),
    '--- bytes by allocating function (self)',
    ...[...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 80).map(([name, size]) => `${(size / 1024 / 1024).toFixed(1).padStart(9)} MB ${perSale(size).padStart(9)} B/sale answer  ${name}`),
    '--- bytes of built-ins by their caller',
    ...[...byBuiltinCaller].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([name, size]) => `${(size / 1024 / 1024).toFixed(1).padStart(9)} MB ${perSale(size).padStart(9)} B/sale answer  ${name}`),
  ];
  writeFileSync(join(process.env.ALLOC_COUNT_DIR ?? tmpdir(), `alloc-count-${process.pid}.txt`), `${lines.join('\n')}\n`);
});
