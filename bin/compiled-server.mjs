// Where the compiled server lives and whether it may run. `npm install` / `npm ci` (the `prepare`
// script: scripts/build-server.mjs) compiles src/ to plain JavaScript in dist/, one file per source
// file, and records what it compiled from. bin/reswipe.mjs runs dist/ only while the sources are still
// exactly that, so an edit to src/ is never answered by stale code: the command falls back to running
// the TypeScript through tsx until the next build.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The compiled tree mirrors src/ one level below the checkout, so `import.meta.url`-relative paths that leave src/ (the console's dist) resolve alike. */
export const compiledDirName = 'dist';
/** Written last by the build: the sources it compiled, one line per file or folder. */
export const manifestFileName = '.sources';
/** Besides src/, what the output depends on: the build itself and the TypeScript settings esbuild reads. */
const buildInputs = ['scripts/build-server.mjs', 'tsconfig.json'];

function listPaths(root, dir, found) {
  found.push(`${dir}/`);
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) listPaths(root, path, found);
    else found.push(path);
  }
  return found;
}

/** One manifest line: a file's size and modification time, a folder's modification time (it changes when an entry is added, removed or renamed). */
function manifestLine(root, path) {
  const stats = statSync(join(root, path), { throwIfNoEntry: false });
  if (stats === undefined) return `${path}\tabsent`;
  return path.endsWith('/') ? `${path}\t${stats.mtimeMs}` : `${path}\t${stats.mtimeMs}\t${stats.size}`;
}

/** What the build records: every folder and file under src/ and the build inputs, as they are now. */
export function sourceManifest(root) {
  return [...listPaths(root, 'src', []), ...buildInputs].map((path) => manifestLine(root, path)).join('\n');
}

/**
 * The compiled entry point for `relativeEntry` (a path under src/, e.g. cli/main.ts), or null when
 * dist/ is missing or was built from other sources. Checked with one stat call per recorded path and
 * no directory listing (a listing cost twice the stat calls): a changed file shows in its own size or
 * time, whatever the direction of the time; an added, removed or renamed one in its folder's time.
 * Not content hashes: reading 4.5 MB at each start would cost far more.
 */
export function freshCompiledEntry(root, relativeEntry) {
  let recorded;
  try {
    recorded = readFileSync(join(root, compiledDirName, manifestFileName), 'utf8');
  } catch {
    return null;
  }
  for (const line of recorded.split('\n')) {
    if (line !== manifestLine(root, line.slice(0, line.indexOf('\t')))) return null;
  }
  return join(root, compiledDirName, relativeEntry.replace(/\.ts$/, '.js'));
}
