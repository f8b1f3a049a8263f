// Preload for the gateway on PostgreSQL (node --import): counts every node-postgres query by its SQL
// text, with its wall time from send to answer, and the sales (0200 answers are not visible here, so
// per-sale figures divide by the run's sales yourself); when the process exits it writes a table of
// calls, total ms and µs per call to $SQL_TIMING_DIR (default the temp dir) as pg-statements-<pid>.txt.
// pg_stat_statements needs the server's shared_preload_libraries (a restart); this needs nothing.
//   BENCH_GATEWAY_NODE_FLAGS="--max-semi-space-size=16 --max-old-space-size=384 --import $PWD/bench/pg-statement-count-preload.mjs" npm run bench:auth -- --postgres ...
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pg = createRequire(import.meta.url)('pg');
const stats = new Map();

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, values, callback) {
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  const key = text.replace(/\s+/g, ' ').slice(0, 150);
  const entry = stats.get(key) ?? { calls: 0, ns: 0 };
  stats.set(key, entry);
  entry.calls += 1;
  const startNs = process.hrtime.bigint();
  const result = query.call(this, config, values, callback);
  if (result !== undefined && typeof result.then === 'function') {
    result.then(
      () => (entry.ns += Number(process.hrtime.bigint() - startNs)),
      () => (entry.ns += Number(process.hrtime.bigint() - startNs)),
    );
  }
  return result;
};

process.on('exit', () => {
  const rows = [...stats]
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([key, { calls, ns }]) => `${String(calls).padStart(9)} x ${(ns / 1e6).toFixed(0).padStart(7)} ms ${(ns / calls / 1e3).toFixed(1).padStart(8)} us  ${key}`);
  writeFileSync(join(process.env.SQL_TIMING_DIR ?? tmpdir(), `pg-statements-${process.pid}.txt`), `${rows.join('\n')}\n`);
});
