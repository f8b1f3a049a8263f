// Rewrites the magic-values table in docs/issuer-simulator.md from src/sim/issuer/test-cards.ts, so
// the doc never drifts from the data. Usage: npx tsx scripts/generate-issuer-sim-docs.ts
// (test/sim/issuer/test-cards.test.ts fails when the doc is out of date).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatTestCardTableMarkdown } from '../src/sim/issuer/format-test-card-table.ts';

const docPath = fileURLToPath(new URL('../docs/issuer-simulator.md', import.meta.url));
const begin = '<!-- magic-values:begin (generated from src/sim/issuer/test-cards.ts; npx tsx scripts/generate-issuer-sim-docs.ts) -->\n';
const end = '\n<!-- magic-values:end -->';

const doc = readFileSync(docPath, 'utf8');
const from = doc.indexOf(begin);
const to = doc.indexOf(end);
if (from < 0 || to < from) throw new Error(`${docPath} lacks the magic-values markers`);
writeFileSync(docPath, `${doc.slice(0, from + begin.length)}${formatTestCardTableMarkdown()}${doc.slice(to)}`);
console.log(`wrote the magic-values table into ${docPath}`);
