// Goal: a prepared statement's name can never be reused for a different SQL text (node-postgres would
// refuse the statement, or the server would run the wrong one), and the memo of names stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PreparedStatements, preparedStatementName } from '../../../src/adapters/store/postgres-prepared-statements.ts';

test('prepared statements: the name is derived from the text; distinct texts get distinct names', () => {
  const statements = new PreparedStatements();
  const texts = Array.from({ length: 2000 }, (_, n) => `SELECT id FROM payments WHERE id IN (${Array.from({ length: (n % 50) + 1 }, () => '?').join(', ')}) LIMIT ${n}`);
  const names = texts.map((text) => statements.for(text).name);
  assert.equal(new Set(names).size, texts.length);
  assert.deepEqual(texts.map((text) => statements.for(text).name), names, 'the same text keeps its name');
  assert.equal(new PreparedStatements().for(texts[7] ?? '').name, names[7], 'another memo (another process, another node) derives the same name');
  assert.equal(statements.for('SELECT ? AS a, ? AS b').text, 'SELECT $1 AS a, $2 AS b');
  assert.match(preparedStatementName('SELECT 1'), /^rsw_[0-9a-f]{24}$/);
});

test('prepared statements: the memo is bounded, and starting over changes no name', () => {
  const statements = new PreparedStatements(8);
  const before = Array.from({ length: 8 }, (_, n) => statements.for(`SELECT ${n}`).name);
  for (let n = 8; n < 100; n += 1) {
    statements.for(`SELECT ${n}`);
    assert.ok(statements.size <= 8, `size ${statements.size} after ${n + 1} texts`);
  }
  assert.deepEqual(Array.from({ length: 8 }, (_, n) => statements.for(`SELECT ${n}`).name), before);
});
