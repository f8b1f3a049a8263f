// Every text of the console is in its locale files (docs/console.md, "Texts"): zh-CN and en hold the
// same keys, no text is empty, and every literal key the pages ask for exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const consoleSrc = fileURLToPath(new URL('../../console/src/', import.meta.url));

function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child !== null && typeof child === 'object') for (const [inner, text] of leaves(child, path)) out.set(inner, text);
    else out.set(path, child);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'locales' ? [] : sourceFiles(path);
    return /\.(vue|ts)$/.test(name) ? [path] : [];
  });
}

const zh = leaves(JSON.parse(readFileSync(join(consoleSrc, 'locales', 'zh-CN.json'), 'utf8')));
const en = leaves(JSON.parse(readFileSync(join(consoleSrc, 'locales', 'en.json'), 'utf8')));

test('zh-CN and en hold the same keys, each a non-empty text without vue-i18n special characters', () => {
  assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort());
  for (const [key, text] of [...zh, ...en]) {
    assert.equal(typeof text, 'string', key);
    assert.ok((text as string).trim() !== '', `${key} is empty`);
    // '@' starts a linked message and '|' separates plural forms in vue-i18n: a text must not carry them.
    assert.doesNotMatch(text as string, /[@|]/, `${key}: ${String(text)}`);
  }
});

test('every literal key the pages ask for is in the locale files', () => {
  const missing: string[] = [];
  for (const file of sourceFiles(consoleSrc)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\bt\('([a-zA-Z][\w.]*)'/g)) {
      if (!zh.has(match[1]!)) missing.push(`${file.slice(consoleSrc.length)}: ${match[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the zh-CN texts are Chinese and the en texts are not', () => {
  const han = /\p{Script=Han}/u;
  for (const key of ['nav.today', 'nav.payments', 'login.submit', 'payment.refund']) {
    assert.match(String(zh.get(key)), han, key);
    assert.doesNotMatch(String(en.get(key)), han, key);
  }
});
