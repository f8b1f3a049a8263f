// Goal: the issuer simulator's rules stay pure like src/core, so a seeded run replays exactly. Method: read the rule files and fail on any I/O import, wall-clock read, timer or Math.random; the I/O shell files are listed apart and must be the only others in the folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const folder = fileURLToPath(new URL('../../../src/sim/issuer/', import.meta.url));
const pureFiles = ['test-cards.ts', 'issuer-book.ts', 'decide-issuer-response.ts', 'fault-plan.ts', 'format-test-card-table.ts', 'clearing-file.ts'];
const shellFiles = ['issuer-server.ts', 'issuer-admin-api.ts', 'ledger-file.ts'];

const forbidden: Array<[RegExp, string]> = [
  [/from\s+['"](node:)?(fs|net|http|https|tls|dgram|child_process|os|timers|worker_threads)(\/[^'"]*)?['"]/, 'an I/O module'],
  [/from\s+['"][^'"]*\/(adapters|app|cli)\//, 'an adapter, the app or the CLI'],
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew Date\(\s*\)/, 'new Date()'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
  [/\b(setTimeout|setInterval|setImmediate)\s*\(/, 'a timer'],
  [/\bprocess\./, 'process'],
];

test('every file in src/sim/issuer is either a pure rule file or a listed I/O shell file', () => {
  const present = readdirSync(folder).filter((name) => name.endsWith('.ts')).sort();
  assert.deepEqual(present, [...pureFiles, ...shellFiles].sort());
});

test('the rule files import no I/O and read no clock, timer or randomness of their own', () => {
  const violations: string[] = [];
  for (const name of pureFiles) {
    const source = readFileSync(join(folder, name), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    for (const [pattern, what] of forbidden) if (pattern.test(source)) violations.push(`${name} uses ${what}`);
  }
  assert.deepEqual(violations, []);
});

test('the check itself catches a clock read and a socket import', () => {
  const sample = "import { connect } from 'node:net';\nconst t = Date.now();";
  assert.ok(forbidden.filter(([pattern]) => pattern.test(sample)).length >= 2);
});
