import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const require = createRequire('/work/main/package.json');
const Database = require('better-sqlite3');
const stats = new Map();
const origPrepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql) {
  const st = origPrepare.call(this, sql);
  for (const m of ['run', 'all', 'get']) {
    const orig = st[m].bind(st);
    st[m] = (...args) => { const t = process.hrtime.bigint(); try { return orig(...args); } finally { const d = Number(process.hrtime.bigint() - t); const k = sql.replace(/\s+/g, ' ').slice(0, 140); const e = stats.get(k) ?? { n: 0, ns: 0 }; e.n++; e.ns += d; stats.set(k, e); } };
  }
  return st;
};
const origExec = Database.prototype.exec;
Database.prototype.exec = function (sql) { const t = process.hrtime.bigint(); try { return origExec.call(this, sql); } finally { const k = 'EXEC ' + sql.slice(0, 60); const e = stats.get(k) ?? { n: 0, ns: 0 }; e.n++; e.ns += Number(process.hrtime.bigint() - t); stats.set(k, e); } };
const origPragma = Database.prototype.pragma;
Database.prototype.pragma = function (sql, o) { const t = process.hrtime.bigint(); try { return origPragma.call(this, sql, o); } finally { const k = 'PRAGMA ' + sql.slice(0, 60); const e = stats.get(k) ?? { n: 0, ns: 0 }; e.n++; e.ns += Number(process.hrtime.bigint() - t); stats.set(k, e); } };
process.on('exit', () => { const rows = [...stats].sort((a, b) => b[1].ns - a[1].ns).map(([k, v]) => `${(v.ns / 1e6).toFixed(0).padStart(7)} ms ${String(v.n).padStart(7)} x ${(v.ns / v.n / 1e3).toFixed(1).padStart(7)} us  ${k}`); writeFileSync(`/tmp/sqlprof-${process.pid}.txt`, rows.join('\n')); });
