// Preload for the gateway (node --import): counts the calls of Object.defineProperty(fn, 'name', ...)
// and, when the process exits, writes them by caller to $DEFINE_NAME_DIR (default the temp dir) as
// define-name-<pid>.txt. tsx compiles with esbuild's keepNames, so each closure assigned to a `const`
// pays such a call (about 0.5 µs) every time it is created: the table shows which ones a sale creates.
// One call in $DEFINE_NAME_SAMPLE (default 20) captures its stack, so the per-caller counts are
// estimates (sampled count × the sample rate); the total is exact. Used for docs/benchmarks.md:
//   BENCH_GATEWAY_NODE_FLAGS="--max-semi-space-size=16 --max-old-space-size=384 --import $PWD/bench/define-name-preload.mjs" npm run bench:auth
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sampleEvery = Number(process.env.DEFINE_NAME_SAMPLE ?? 20);
const byCaller = new Map();
let total = 0;
const defineProperty = Object.defineProperty;

function callerOf(stack) {
  // Line 0 is "Error", 1 this wrapper, 2 esbuild's __name helper, 3 the code that created the closure.
  const lines = stack.split('\n');
  return (lines[3] ?? lines.at(-1) ?? '?').trim().replace(/^at /, '').replace(/file:\/\/\S*\/src\//, 'src/');
}

Object.defineProperty = function countedDefineProperty(target, property, descriptor) {
  if (property === 'name' && typeof target === 'function') {
    total += 1;
    if (total % sampleEvery === 0) {
      const caller = callerOf(new Error().stack ?? '');
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + sampleEvery);
    }
  }
  return defineProperty(target, property, descriptor);
};

process.on('exit', () => {
  const rows = [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 60).map(([caller, calls]) => `${String(calls).padStart(10)}  ${caller}`);
  writeFileSync(join(process.env.DEFINE_NAME_DIR ?? tmpdir(), `define-name-${process.pid}.txt`), `total ${total}\n${rows.join('\n')}\n`);
});
