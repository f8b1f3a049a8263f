// Goal: bin/reswipe.mjs runs the compiled dist/ only while it was built from the sources as they are now:
// any edit, added, removed or renamed source file, a copy with an older modification time, or a
// changed tsconfig.json or build script sends it back to tsx, so no one runs stale code. Method: a
// temporary checkout with a few sources dated in the past, the manifest the build writes, then each
// kind of change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface CompiledServer {
  compiledDirName: string;
  manifestFileName: string;
  sourceManifest(root: string): string;
  freshCompiledEntry(root: string, relativeEntry: string): string | null;
}
const compiledServer: CompiledServer = await import(new URL('../../bin/compiled-server.mjs', import.meta.url).href);

/** Sources last changed a day ago: a change the test makes now cannot share their modification time. */
const yesterday = new Date(Date.now() - 86_400_000);

function checkoutWithBuild(): string {
  const root = mkdtempSync(join(tmpdir(), 'reswipe-compiled-'));
  const files: Record<string, string> = {
    'src/cli/main.ts': "import './run.ts';\n",
    'src/cli/run.ts': 'export const answer = 42;\n',
    'scripts/build-server.mjs': '// build\n',
    'tsconfig.json': '{}\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  for (const path of [...Object.keys(files), 'src/cli', 'src']) utimesSync(join(root, path), yesterday, yesterday);
  mkdirSync(join(root, compiledServer.compiledDirName));
  writeFileSync(join(root, compiledServer.compiledDirName, compiledServer.manifestFileName), compiledServer.sourceManifest(root));
  return root;
}

function assertFallsBackToTsx(change: (root: string) => void): void {
  const root = checkoutWithBuild();
  try {
    assert.notEqual(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null, 'fresh before the change');
    change(root);
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('a build of the current sources is run: the compiled entry point is returned', () => {
  const root = checkoutWithBuild();
  try {
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), join(root, 'dist', 'cli', 'main.js'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no build (no manifest): tsx runs the sources', () => {
  assertFallsBackToTsx((root) => rmSync(join(root, 'dist'), { recursive: true }));
});

test('a source edited after the build, even to the same size: tsx runs the sources', () => {
  assertFallsBackToTsx((root) => writeFileSync(join(root, 'src', 'cli', 'run.ts'), 'export const answer = 43;\n'));
});

test('a source replaced by a copy of the same size with an older modification time: tsx runs the sources', () => {
  const older = new Date(Date.now() - 30 * 86_400_000);
  assertFallsBackToTsx((root) => utimesSync(join(root, 'src', 'cli', 'run.ts'), older, older));
});

test('a source added, removed or renamed after the build: tsx runs the sources', () => {
  assertFallsBackToTsx((root) => writeFileSync(join(root, 'src', 'cli', 'added.ts'), 'export {};\n'));
  assertFallsBackToTsx((root) => mkdirSync(join(root, 'src', 'added')));
  assertFallsBackToTsx((root) => rmSync(join(root, 'src', 'cli', 'run.ts')));
  assertFallsBackToTsx((root) => renameSync(join(root, 'src', 'cli', 'run.ts'), join(root, 'src', 'cli', 'renamed.ts')));
});

test('tsconfig.json or the build script changed after the build: tsx runs the sources', () => {
  assertFallsBackToTsx((root) => writeFileSync(join(root, 'tsconfig.json'), '{ "compilerOptions": {} }\n'));
  assertFallsBackToTsx((root) => writeFileSync(join(root, 'scripts', 'build-server.mjs'), '// build, changed\n'));
});

test('a manifest cut short or emptied is not trusted: tsx runs the sources', () => {
  assertFallsBackToTsx((root) => writeFileSync(join(root, 'dist', compiledServer.manifestFileName), ''));
});
