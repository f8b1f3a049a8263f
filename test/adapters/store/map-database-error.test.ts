// Goal: driver errors become the right stable codes on both databases, and database messages
// never carry a PAN. Method: a table of fake SQLite and PostgreSQL errors through the mappers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapPostgresError, mapSqliteError } from '../../../src/adapters/store/map-database-error.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

function driverError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message ?? 'x')), fields);
}

const rows: Array<[string, unknown, (error: unknown) => unknown, string | null, Record<string, unknown>]> = [
  ['sqlite unique on an index', driverError({ code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: payments.terminal_id, payments.terminal_stan, payments.terminal_transmitted_at' }), mapSqliteError, 'RSW_STORE_CONFLICT', { constraint: 'payments_iso_key', field: 'terminalStan' }],
  ['sqlite primary key', driverError({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY', message: 'UNIQUE constraint failed: idempotency_records.scope, idempotency_records.idempotency_key' }), mapSqliteError, 'RSW_STORE_CONFLICT', { constraint: 'idempotency_records_pkey', field: 'key' }],
  ['sqlite foreign key', driverError({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY', message: 'FOREIGN KEY constraint failed' }), mapSqliteError, 'RSW_STORE_MISSING_REFERENCE', {}],
  ['sqlite busy', driverError({ code: 'SQLITE_BUSY', message: 'database is locked' }), mapSqliteError, 'RSW_STORE_BUSY', {}],
  ['sqlite cannot open', driverError({ code: 'SQLITE_CANTOPEN', message: 'unable to open database file' }), mapSqliteError, 'RSW_STORE_UNAVAILABLE', {}],
  ['sqlite other', driverError({ code: 'SQLITE_ERROR', message: 'no such table: x' }), mapSqliteError, 'RSW_STORE_FAULT', { dbCode: 'SQLITE_ERROR' }],
  ['sqlite: a bug stays a bug', new TypeError('bad bind'), mapSqliteError, null, {}],
  ['pg unique', driverError({ code: '23505', constraint: 'attempts_upstream_key' }), mapPostgresError, 'RSW_STORE_CONFLICT', { constraint: 'attempts_upstream_key', field: 'stan' }],
  ['pg foreign key', driverError({ code: '23503', constraint: 'payments_merchant_fkey' }), mapPostgresError, 'RSW_STORE_MISSING_REFERENCE', { constraint: 'merchant' }],
  ['pg deadlock', driverError({ code: '40P01' }), mapPostgresError, 'RSW_STORE_BUSY', {}],
  ['pg serialization', driverError({ code: '40001' }), mapPostgresError, 'RSW_STORE_BUSY', {}],
  ['pg admin shutdown', driverError({ code: '57P01' }), mapPostgresError, 'RSW_STORE_UNAVAILABLE', {}],
  ['pg connection failure', driverError({ code: '08006' }), mapPostgresError, 'RSW_STORE_UNAVAILABLE', {}],
  ['pg refused', driverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }), mapPostgresError, 'RSW_STORE_UNAVAILABLE', {}],
  ['pg dropped', new Error('Connection terminated unexpectedly'), mapPostgresError, 'RSW_STORE_UNAVAILABLE', {}],
  ['pg syntax', driverError({ code: '42601', message: 'syntax error' }), mapPostgresError, 'RSW_STORE_FAULT', { dbCode: '42601' }],
  ['pg: a bug stays a bug', new RangeError('oops'), mapPostgresError, null, {}],
];

for (const [name, input, map, code, params] of rows) {
  test(`maps ${name}`, () => {
    const mapped = map(input);
    if (code === null) {
      assert.equal(mapped, input);
      return;
    }
    assert.ok(isReswipeError(mapped), `expected a ReswipeError, got ${String(mapped)}`);
    assert.equal(mapped.code, code);
    for (const [key, value] of Object.entries(params)) {
      if (key === 'field') assert.equal(mapped.field, value);
      else assert.equal(mapped.params[key], value);
    }
  });
}

test('a PAN inside a database message is masked before it reaches the error', () => {
  const mapped = mapPostgresError(driverError({ code: '22001', message: 'value too long: 6222021234567890123' }));
  assert.ok(isReswipeError(mapped, 'RSW_STORE_FAULT'));
  assert.doesNotMatch(mapped.message, /6222021234567890123/);
  assert.match(mapped.message, /622202\*+0123/);
});
