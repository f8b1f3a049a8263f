// Goal: bin/reswipe.mjs runs the compiled dist/ only while it was built from the sources as they are now:
// any edit, added or removed source file, a copy with an older modification time, or a changed
// tsconfig.json sends it back to tsx, so no one runs stale code. Method: a temporary checkout with a
// few sources, a recorded fingerprint as the build writes it, then each kind of change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface CompiledServer {
  compiledDirName: string;
  fingerprintFileName: string;
  sourceFingerprint(root: string): string;
  freshCompiledEntry(root: string, relativeEntry: string): string | null;
}
const compiledServer: CompiledServer = await import(new URL('../../bin/compiled-server.mjs', import.meta.url).href);

function checkoutWithBuild(): string {
  const root = mkdtempSync(join(tmpdir(), 'reswipe-compiled-'));
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'scripts'));
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), "import './run.ts';\n");
  writeFileSync(join(root, 'src', 'cli', 'run.ts'), 'export const answer = 42;\n');
  writeFileSync(join(root, 'scripts', 'build-server.mjs'), '// build\n');
  writeFileSync(join(root, 'tsconfig.json'), '{}\n');
  mkdirSync(join(root, compiledServer.compiledDirName));
  writeFileSync(join(root, compiledServer.compiledDirName, compiledServer.fingerprintFileName), `${compiledServer.sourceFingerprint(root)}\n`);
  return root;
}

function withCheckout(check: (root: string) => void): void {
  const root = checkoutWithBuild();
  try {
    check(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('a build of the current sources is run: the compiled entry point is returned', () => {
  withCheckout((root) => {
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), join(root, 'dist', 'cli', 'main.js'));
  });
});

test('no build (no recorded fingerprint): tsx runs the sources', () => {
  withCheckout((root) => {
    rmSync(join(root, 'dist'), { recursive: true });
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  });
});

test('a source edited after the build: tsx runs the sources', () => {
  withCheckout((root) => {
    writeFileSync(join(root, 'src', 'cli', 'run.ts'), 'export const answer = 4321;\n');
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  });
});

test('a source replaced by a copy of the same size with an older modification time: tsx runs the sources', () => {
  withCheckout((root) => {
    utimesSync(join(root, 'src', 'cli', 'run.ts'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  });
});

test('a source added or removed after the build: tsx runs the sources', () => {
  withCheckout((root) => {
    writeFileSync(join(root, 'src', 'cli', 'added.ts'), 'export {};\n');
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  });
  withCheckout((root) => {
    rmSync(join(root, 'src', 'cli', 'run.ts'));
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  });
});

test('tsconfig.json or the build script changed after the build: tsx runs the sources', () => {
  withCheckout((root) => {
    writeFileSync(join(root, 'tsconfig.json'), '{ "compilerOptions": {} }\n');
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  });
  withCheckout((root) => {
    writeFileSync(join(root, 'scripts', 'build-server.mjs'), '// build, changed\n');
    assert.equal(compiledServer.freshCompiledEntry(root, 'cli/main.ts'), null);
  });
});
