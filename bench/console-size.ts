// Benchmark: the web console's first load, in compressed script (docs/console.md, "Size"). The first
// load is what a browser fetches to show the login page and then the first page after logging in
// (Today): the entry chunk, the chunks it imports statically, and the lazy chunks of those two routes
// with their static imports. Each file is measured gzipped (level 9, as the gateway serves it) and the
// total is printed as a ratio of the 500 KB budget; the whole build's script is printed beside it.
// Usage: npm run bench:console (builds console/dist first when it is missing).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

const budgetBytes = 500 * 1024;
const dist = fileURLToPath(new URL('../console/dist/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
const gzipBytes = (file: string): number => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;

/** A chunk and everything it imports statically (what the browser must fetch before it runs). */
function withStaticImports(key: string, into: Set<string>): Set<string> {
  if (into.has(key)) return into;
  into.add(key);
  for (const imported of manifest[key]?.imports ?? []) withStaticImports(imported, into);
  return into;
}

const entryKey = Object.keys(manifest).find((key) => manifest[key]?.isEntry === true);
if (entryKey === undefined) throw new Error('no entry chunk in console/dist/.vite/manifest.json');
const firstRoutes = ['src/pages/LoginPage.vue', 'src/pages/TodayPage.vue'];
const firstLoad = withStaticImports(entryKey, new Set());
for (const route of firstRoutes) {
  if (manifest[route] === undefined) throw new Error(`route chunk ${route} missing from the manifest`);
  withStaticImports(route, firstLoad);
}

const rows = [...firstLoad].map((key) => ({ file: manifest[key]!.file, gzip: gzipBytes(manifest[key]!.file) })).sort((a, b) => b.gzip - a.gzip);
const firstLoadBytes = rows.reduce((sum, row) => sum + row.gzip, 0);
const allScripts = readdirSync(join(dist, 'assets')).filter((name) => name.endsWith('.js'));
const allBytes = allScripts.reduce((sum, name) => sum + gzipBytes(join('assets', name)), 0);
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

console.log('first load (login page, then Today), gzipped script:');
for (const row of rows) console.log(`  ${row.file.padEnd(44)} ${kb(row.gzip).padStart(10)}`);
console.log(`first load: ${kb(firstLoadBytes)} of the ${kb(budgetBytes)} budget: ratio ${(firstLoadBytes / budgetBytes).toFixed(3)} (${firstLoadBytes <= budgetBytes ? 'within' : 'OVER'} budget)`);
console.log(`whole build: ${allScripts.length} scripts, ${kb(allBytes)} gzipped; first load is ${((firstLoadBytes / allBytes) * 100).toFixed(1)} % of it`);
console.log(`peak memory (RSS) of this measurement: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
if (firstLoadBytes > budgetBytes) process.exitCode = 1;
