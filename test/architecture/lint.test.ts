// Goal: the TypeScript of the server, the benches, the scripts and the tests passes ESLint with
// typescript-eslint's recommended rules (eslint.config.mjs, docs/decisions/eslint.md), so `npm test` and CI
// fail on what it finds: unused imports and variables, expressions that do nothing, `any` outside tests.
// Method: ESLint's API over the repository, every error and warning (a stale disable comment too) listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('ESLint finds nothing in the repository', async () => {
  const eslint = new ESLint({ cwd: root });
  const results = await eslint.lintFiles(['.']);
  const problems = results.flatMap((result) => result.messages.map((message) => `${relative(root, result.filePath)}:${message.line} ${message.ruleId ?? ''} ${message.message}`));
  assert.ok(results.length > 500, `ESLint read ${results.length} files: the configuration no longer reaches the sources`);
  assert.deepEqual(problems, []);
});
