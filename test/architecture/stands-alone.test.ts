// Goal: the repository stands alone: its code, docs, tests and scripts cite only files inside it.
// Method: read every text file under src, docs, test, scripts, bench and the README, and fail on any
// reference to the product brief, specs or domain notes kept outside the repository (their content
// lives in docs/vocabulary.md, docs/contracts/ and docs/domain/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const textExtensions = /\.(ts|mjs|js|json|md|yaml|yml|csv|txt)$/;

function listTextFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTextFiles(path);
    return textExtensions.test(name) ? [path] : [];
  });
}

// Built from pieces so that this file does not match itself.
const outsideReferences = [
  new RegExp(['\\.\\.', 'shared', ''].join('/')),
  new RegExp(`(^|[^/\\w])spec/(terminal-link|host-link|http-api)\\.md`),
  new RegExp(`(^|[^/\\w])(PRODUCT|DOMAIN|STYLE)\\.md`),
];

test('no file cites a document outside the repository', () => {
  const files = ['src', 'docs', 'test', 'scripts', 'bench'].flatMap((dir) => listTextFiles(join(root, dir)));
  files.push(join(root, 'README.md'));
  assert.ok(files.length > 100, `expected to scan the whole tree, found ${files.length} files`);
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (outsideReferences.some((pattern) => pattern.test(line))) found.push(`${relative(root, file)}:${index + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(found, []);
});
