// Preload for the gateway on PostgreSQL (node --import): counts every node-postgres query by its SQL
// text, with its wall time from send to answer, and the sales (0200 answers are not visible here, so
// per-sale figures divide by the run's sales yourself); when the process exits it writes a table of
// calls, total ms and µs per call to $SQL_TIMING_DIR (default the temp dir) as pg-statements-<pid>.txt.
// It also counts the socket writes (system calls) to the server's port, and reads of the server's answers.
// pg_stat_statements needs the server's shared_preload_libraries (a restart); this needs nothing.
//   BENCH_GATEWAY_NODE_FLAGS="--max-semi-space-size=16 --max-old-space-size=384 --import $PWD/bench/pg-statement-count-preload.mjs" npm run bench:auth -- --postgres ...
import { createRequire } from 'node:module';
import net from 'node:net';
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

// The socket writes to PostgreSQL (port 5432 unless PGPORT says otherwise): one system call each.
const serverPort = Number(process.env.PGPORT ?? 5432);
const sockets = { writes: 0, reads: 0 };
const { _write: write, _writev: writev } = net.Socket.prototype;
net.Socket.prototype._write = function countedWrite(...args) {
  if (this.remotePort === serverPort) sockets.writes += 1;
  return write.apply(this, args);
};
net.Socket.prototype._writev = function countedWritev(...args) {
  if (this.remotePort === serverPort) sockets.writes += 1;
  return writev.apply(this, args);
};
const push = net.Socket.prototype.push;
net.Socket.prototype.push = function countedPush(chunk, ...rest) {
  if (chunk !== null && this.remotePort === serverPort) sockets.reads += 1;
  return push.call(this, chunk, ...rest);
};

process.on('exit', () => {
  const rows = [...stats]
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([key, { calls, ns }]) => `${String(calls).padStart(9)} x ${(ns / 1e6).toFixed(0).padStart(7)} ms ${(ns / calls / 1e3).toFixed(1).padStart(8)} us  ${key}`);
  const payments = [...stats].find(([key]) => key.startsWith('INSERT INTO payments '))?.[1].calls ?? 0;
  const head = `socket writes to the server ${sockets.writes}, reads ${sockets.reads}; payments inserted ${payments}${payments > 0 ? `: ${(sockets.writes / payments).toFixed(2)} writes and ${(sockets.reads / payments).toFixed(2)} reads per payment` : ''}`;
  writeFileSync(join(process.env.SQL_TIMING_DIR ?? tmpdir(), `pg-statements-${process.pid}.txt`), `${head}\n${rows.join('\n')}\n`);
});
