// Where the compiled server lives and whether it may run. `npm install` / `npm ci` (the `prepare`
// script: scripts/build-server.mjs) compiles src/ to plain JavaScript in dist/, one file per source
// file, and records a fingerprint of what it compiled. bin/reswipe.mjs runs dist/ only while that
// fingerprint still matches the sources, so an edit to src/ is never answered by stale code: the
// command falls back to running the TypeScript through tsx until the next build.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The compiled tree mirrors src/ one level below the checkout, so `import.meta.url`-relative paths that leave src/ (the console's dist) resolve alike. */
export const compiledDirName = 'dist';
/** Written last by the build: the fingerprint of the sources it compiled. */
export const fingerprintFileName = '.source-fingerprint';
/** Besides src/, what the output depends on: the build itself and the TypeScript settings esbuild reads. */
const buildInputs = ['scripts/build-server.mjs', 'tsconfig.json'];

function listFiles(root, dir, found) {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) listFiles(root, path, found);
    else found.push(path);
  }
  return found;
}

/**
 * A hash of every source file's path, size and modification time (not its content: reading 4.5 MB at
 * each start would cost more than the stat calls). Any edit, added, removed or renamed file, or a copy
 * with another mtime (older ones included) changes it.
 */
export function sourceFingerprint(root) {
  const hash = createHash('sha256');
  for (const path of [...listFiles(root, 'src', []).sort(), ...buildInputs]) {
    const stats = statSync(join(root, path), { throwIfNoEntry: false });
    hash.update(stats === undefined ? `${path}\0absent\n` : `${path}\0${stats.size}\0${stats.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** The compiled entry point for `relativeEntry` (a path under src/, e.g. cli/main.ts), or null when dist/ is missing or older than the sources. */
export function freshCompiledEntry(root, relativeEntry) {
  let recorded;
  try {
    recorded = readFileSync(join(root, compiledDirName, fingerprintFileName), 'utf8').trim();
  } catch {
    return null;
  }
  if (recorded !== sourceFingerprint(root)) return null;
  return join(root, compiledDirName, relativeEntry.replace(/\.ts$/, '.js'));
}
