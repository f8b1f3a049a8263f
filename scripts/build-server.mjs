#!/usr/bin/env node
// Compiles the server (src/) to plain JavaScript in dist/, which bin/reswipe.mjs runs instead of loading
// the TypeScript through tsx: no loader thread, no transform at start, no inline source maps held as
// module text, and no esbuild `keepNames` wrapper around every named closure (docs/benchmarks.md,
// "Compiled server"). Run by `npm install` / `npm ci` (the root `prepare` script) and `npm run build:server`.
// `--check` builds nothing and fails when dist/ is missing or older than the sources (CI runs it after
// `npm ci`, so the end-to-end tests, which spawn bin/reswipe.mjs, test the compiled server).
//
// Each source file is compiled on its own, as tsx does (not bundled: esbuild's bundler renames classes
// that refer to themselves, e.g. SqliteStore's name would read _SqliteStore), into the same tree:
// dist/ sits at src/'s depth, so every `import.meta.url`-relative path resolves as it does from src/
// (the other files of src/ are copied along: the WAL checkpoint worker, the JSON tables; the console's
// ../console/dist stays where it is). esbuild leaves import paths alone, so the relative `.ts` imports
// are rewritten to `.js` here, each checked to name a compiled file.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { compiledDirName, freshCompiledEntry, manifestFileName, sourceManifest } from '../bin/compiled-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.argv.includes('--check')) {
  if (freshCompiledEntry(root, 'cli/main.ts') === null) {
    console.error(`reswipe: ${compiledDirName}/ is missing or older than src/; bin/reswipe.mjs would run the sources through tsx (npm run build:server)`);
    process.exit(1);
  }
  console.log(`reswipe: ${compiledDirName}/ matches src/`);
  process.exit(0);
}
const srcDir = join(root, 'src');
const outDir = join(root, compiledDirName);

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

/** A relative `.ts` module path in an import or export declaration or a dynamic import(), as esbuild prints them. */
const tsImportPattern = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.\.?\/[^"\n]+)\.ts"/g;

function rewriteTsImports(outputFile) {
  const code = readFileSync(outputFile, 'utf8');
  const rewritten = code.replace(tsImportPattern, (_match, keyword, path) => {
    if (!existsSync(join(dirname(outputFile), `${path}.js`))) throw new Error(`${relative(root, outputFile)}: ${path}.ts was not compiled`);
    return `${keyword}"${path}.js"`;
  });
  if (rewritten !== code) writeFileSync(outputFile, rewritten);
}

const started = Date.now();
// Taken before compiling: an edit made during the build differs from the recorded manifest, so the command keeps using tsx.
const manifest = sourceManifest(root);
rmSync(outDir, { recursive: true, force: true });
const files = listFiles(srcDir);
const entryPoints = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
await build({
  entryPoints,
  outdir: outDir,
  outbase: srcDir,
  platform: 'node',
  format: 'esm',
  // The oldest Node of package.json's engines; for plain node20 esbuild drops import attributes (`with { type: 'json' }`).
  target: 'node20.10',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const file of listFiles(outDir)) if (file.endsWith('.js')) rewriteTsImports(file);
for (const file of files.filter((path) => !path.endsWith('.ts'))) {
  const target = join(outDir, relative(srcDir, file));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(file, target);
}
// Last, and whole or not at all (a manifest cut short would leave files unchecked): until it is in place the command uses tsx.
writeFileSync(join(outDir, `${manifestFileName}.tmp`), manifest);
renameSync(join(outDir, `${manifestFileName}.tmp`), join(outDir, manifestFileName));
console.log(`reswipe: server compiled into ${compiledDirName}/ (${entryPoints.length} modules) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
