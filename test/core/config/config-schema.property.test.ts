// Goal: whatever a config file holds, validation either returns a frozen config or throws a ReswipeError with a
// config code and a key path, never a TypeError or another crash. Method: fast-check generates arbitrary values,
// both wholly random and shaped like the real sections with random leaves (seeded and bounded runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configKeyPaths, validateConfig } from '../../../src/core/config/config-schema.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

// HTTP_TLS_REQUIRED: a generated non-loopback http.host without TLS is refused, naming http.tls.
const configCodes = new Set(['RSW_CONFIG_UNKNOWN_KEY', 'RSW_CONFIG_INVALID_VALUE', 'RSW_CONFIG_RELATION', 'RSW_CONFIG_HTTP_TLS_REQUIRED']);

function validatesOrNamesTheKey(raw: unknown): void {
  try {
    const config = validateConfig(raw);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.engine.reversal));
  } catch (error) {
    assert.ok(isReswipeError(error), `not a ReswipeError: ${String(error)}`);
    assert.ok(configCodes.has(error.code), error.code);
    assert.ok(typeof error.field === 'string' && error.field.length > 0, 'the error names a key');
  }
}

test('arbitrary values never crash validation', () => {
  fc.assert(fc.property(fc.anything({ maxDepth: 4 }), validatesOrNamesTheKey), { numRuns: 500, seed: 20260401 });
});

test('configs shaped like the real one with random leaves never crash validation', () => {
  const leaf = fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.constantFrom('cups-pos', 'ascii4', 'full', 'debit'));
  const keyPaths = configKeyPaths();
  const generated = fc.array(fc.tuple(fc.constantFrom(...keyPaths), leaf, fc.integer({ min: 0, max: 2 })), { maxLength: 8 }).map((entries) => {
    const raw: Record<string, unknown> = {};
    for (const [keyPath, value, index] of entries) {
      let container: Record<string, unknown> = raw;
      const segments = keyPath.split('.');
      segments.forEach((segment, position) => {
        const isList = segment.endsWith('[]');
        const key = isList ? segment.slice(0, -2) : segment;
        if (position === segments.length - 1) {
          container[key] = value;
          return;
        }
        if (isList) {
          const list = (Array.isArray(container[key]) ? container[key] : (container[key] = [])) as Array<Record<string, unknown>>;
          while (list.length <= index) list.push({});
          container = list[index] as Record<string, unknown>;
        } else {
          container = (typeof container[key] === 'object' && container[key] !== null ? container[key] : (container[key] = {})) as Record<string, unknown>;
        }
      });
    }
    return raw;
  });
  fc.assert(fc.property(generated, validatesOrNamesTheKey), { numRuns: 500, seed: 20260402 });
});
