// Preload for the gateway (node --import): times every better-sqlite3 statement (run/all/get, exec,
// pragma) by its SQL text and, when the process exits, writes a table of total ms, calls and µs per
// call to $SQL_TIMING_DIR (default the temp dir) as sql-timing-<pid>.txt. Wall time, so a shared
// machine inflates it; it shows which statements a sale pays for. Used for docs/benchmarks.md:
//   BENCH_GATEWAY_NODE_FLAGS="--max-semi-space-size=16 --max-old-space-size=384 --import $PWD/bench/sql-timing-preload.mjs" npm run bench:auth
// (an absolute path: the gateway runs in the bench's temporary directory).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const Database = createRequire(import.meta.url)('better-sqlite3');
const stats = new Map();

function record(key, startNs) {
  const entry = stats.get(key) ?? { calls: 0, ns: 0 };
  entry.calls += 1;
  entry.ns += Number(process.hrtime.bigint() - startNs);
  stats.set(key, entry);
}

function timed(key, call) {
  const startNs = process.hrtime.bigint();
  try {
    return call();
  } finally {
    record(key, startNs);
  }
}

const prepare = Database.prototype.prepare;
Database.prototype.prepare = function timedPrepare(sql) {
  const statement = prepare.call(this, sql);
  const key = sql.replace(/\s+/g, ' ').slice(0, 140);
  for (const method of ['run', 'all', 'get']) {
    const original = statement[method].bind(statement);
    statement[method] = (...args) => timed(key, () => original(...args));
  }
  return statement;
};
const exec = Database.prototype.exec;
Database.prototype.exec = function timedExec(sql) {
  return timed(`EXEC ${sql.replace(/\s+/g, ' ').slice(0, 60)}`, () => exec.call(this, sql));
};
const pragma = Database.prototype.pragma;
Database.prototype.pragma = function timedPragma(source, options) {
  return timed(`PRAGMA ${source.slice(0, 60)}`, () => pragma.call(this, source, options));
};

process.on('exit', () => {
  const rows = [...stats]
    .sort((a, b) => b[1].ns - a[1].ns)
    .map(([key, { calls, ns }]) => `${(ns / 1e6).toFixed(0).padStart(7)} ms ${String(calls).padStart(8)} x ${(ns / calls / 1e3).toFixed(1).padStart(8)} us  ${key}`);
  writeFileSync(join(process.env.SQL_TIMING_DIR ?? tmpdir(), `sql-timing-${process.pid}.txt`), `${rows.join('\n')}\n`);
});
