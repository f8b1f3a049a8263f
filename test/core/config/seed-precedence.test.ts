// Goal: a start applies the config file's definition of a channel or fee plan exactly when docs/cluster.md
// ("What a restart keeps") says: never over an API change while the file is unchanged, always once the
// file was edited since. Method: one table row per case, definitions as objects whose key order differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSeed, type SeedDecision, type StoredDefinition } from '../../../src/core/config/seed-precedence.ts';

const file = { name: 'shop', methods: { credit: { rateBps: 45 } } };
const fileReordered = { methods: { credit: { rateBps: 45 } }, name: 'shop' };
const edited = { name: 'shop', methods: { credit: { rateBps: 50 } } };
const apiVersion = { name: 'shop', methods: { credit: { rateBps: 39 } } };

const rows: Array<[string, StoredDefinition | null, SeedDecision]> = [
  ['nothing stored yet', null, { action: 'create' }],
  ['seeded from this file, unchanged (key order does not count)', { definedBy: 'file', current: fileReordered, lastSeededFromFile: file }, { action: 'keep' }],
  ['seeded from an older file', { definedBy: 'file', current: edited, lastSeededFromFile: edited }, { action: 'apply_file', replacesApiChange: false }],
  ['stored before migration 0025 (nothing seeded recorded)', { definedBy: 'file', current: file, lastSeededFromFile: null }, { action: 'apply_file', replacesApiChange: false }],
  ['changed through the API, file unchanged', { definedBy: 'api', current: apiVersion, lastSeededFromFile: fileReordered }, { action: 'keep_api_change' }],
  ['changed through the API back to the file version', { definedBy: 'api', current: file, lastSeededFromFile: file }, { action: 'keep' }],
  ['changed through the API, then edited in the file', { definedBy: 'api', current: apiVersion, lastSeededFromFile: edited }, { action: 'apply_file', replacesApiChange: true }],
  ['created through the API, then named in the file', { definedBy: 'api', current: apiVersion, lastSeededFromFile: null }, { action: 'apply_file', replacesApiChange: true }],
];

for (const [name, stored, expected] of rows) {
  test(`seed precedence: ${name}`, () => {
    assert.deepEqual(decideSeed(file, stored), expected);
  });
}
