// Goal: docs/configuration.md documents every configuration key and no key that does not exist. Method: list
// the schema's leaf keys at run time and look for each as `key` in the doc, then check the doc's key cells.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configKeyPaths } from '../../../src/core/config/config-schema.ts';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)), 'utf8');

test('the schema lists its leaf keys', () => {
  const keys = configKeyPaths();
  assert.ok(keys.includes('http.port'));
  assert.ok(keys.includes('listeners[].framing.frameBytesMax'));
  assert.ok(keys.includes('merchants[].limits.perSaleMinor'));
  assert.ok(keys.includes('merchants[].accepts'));
});

test('every configuration key has a row in docs/configuration.md', () => {
  const missing = configKeyPaths().filter((key) => !doc.includes(`| \`${key}\` |`));
  assert.deepEqual(missing, [], 'add a row for each key to docs/configuration.md');
});

test('every key row in docs/configuration.md names a real key', () => {
  const keys = new Set(configKeyPaths());
  const documented = [...doc.matchAll(/^\| `([a-z][A-Za-z0-9.[\]]*)` \|/gm)].map((match) => match[1] as string).filter((key) => key.includes('.'));
  const unknown = documented.filter((key) => !keys.has(key));
  assert.deepEqual(unknown, []);
  assert.ok(documented.length >= keys.size);
});
