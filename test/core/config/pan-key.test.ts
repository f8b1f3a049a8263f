// Goal: the card-fingerprint key rules accept every real key and refuse the keys people get wrong, and
// key ids are stable check values. Method: a table of weak keys with the reason expected, and a
// property run over fresh random keys in both encodings (which must all pass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodePanKeyText, panKeyIdOf, panKeyWeakness } from '../../../src/core/config/pan-key.ts';

test('weak keys are refused with a reason that never quotes the key', () => {
  const rows: Array<[string, string, RegExp]> = [
    ['a passphrase', 'change-me-to-a-long-random-secret', /hex or base64/],
    ['16 random bytes', '0f1e2d3c4b5a69788796a5b4c3d2e1f0', /at least 32 bytes \(it encodes 16\)/],
    ['one byte repeated', 'ab'.repeat(32), /distinct byte values/],
    ['a counting pattern', Buffer.from(Array.from({ length: 32 }, (_, i) => i * 3)).toString('hex'), /repeats or counts/],
    ['text encoded as base64', Buffer.from('correct horse battery staple, really long!').toString('base64'), /distinct|mostly text/],
    ['odd hex', 'abc', /hex or base64/],
  ];
  for (const [name, key, reason] of rows) {
    const weakness = panKeyWeakness(key);
    assert.ok(weakness !== null, name);
    assert.match(weakness, reason, name);
    assert.ok(!weakness.includes(key), `${name}: the reason quotes the key`);
  }
});

test('every fresh random key of 32 or more bytes passes, hex or base64', () => {
  fc.assert(
    fc.property(fc.integer({ min: 32, max: 64 }), fc.boolean(), (bytes, hex) => {
      const key = randomBytes(bytes).toString(hex ? 'hex' : 'base64');
      assert.equal(panKeyWeakness(key), null, key);
      assert.equal(decodePanKeyText(key)?.length, bytes);
    }),
    { numRuns: 2000 },
  );
});

test('key ids are check values: stable, distinct per key, and short', () => {
  const a = randomBytes(32).toString('hex');
  const b = randomBytes(32).toString('hex');
  assert.equal(panKeyIdOf(a), panKeyIdOf(a));
  assert.notEqual(panKeyIdOf(a), panKeyIdOf(b));
  assert.match(panKeyIdOf(a), /^pk_[0-9a-f]{8}$/);
  assert.ok(!a.includes(panKeyIdOf(a).slice(3)), 'the id is not a slice of the key');
});
