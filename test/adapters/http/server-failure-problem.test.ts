// Goal: a server-side failure tells the client a stable code, a fixed text and a request id, and tells
// operators the rest: the driver message, address and SQL reach exactly one error log line carrying the
// same request id, and never the answer. Method: app.inject() against the real app, with the store's
// failure played by the real driver-error mapping (a refused PostgreSQL connection, a missing relation,
// a full SQLite disk) thrown from the payments list and from a fee route (which has its own handler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapPostgresError, mapSqliteError } from '../../../src/adapters/store/map-database-error.ts';
import { bearer, createHttpFixture } from './http-fixture.ts';

interface LogLine {
  level: string;
  object: Record<string, unknown>;
  message: string | undefined;
}

const failures = [
  { name: 'PostgreSQL refused', error: mapPostgresError(Object.assign(new Error('connect ECONNREFUSED 10.20.0.9:5432'), { code: 'ECONNREFUSED' })), status: 503, code: 'RSW_STORE_UNAVAILABLE', secret: '10.20.0.9' },
  { name: 'missing relation', error: mapPostgresError(Object.assign(new Error('relation "payments" does not exist'), { code: '42P01' })), status: 500, code: 'RSW_STORE_FAULT', secret: 'relation' },
  { name: 'SQLite disk full', error: mapSqliteError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })), status: 503, code: 'RSW_STORE_UNAVAILABLE', secret: 'SQLITE_FULL' },
  { name: 'a plain bug', error: new TypeError('Cannot read properties of undefined (reading "rows")'), status: 500, code: 'RSW_INTERNAL', secret: 'Cannot read' },
];

test('store failures answer a fixed text with a request id; the driver message is logged once with the same id', async (t) => {
  const lines: LogLine[] = [];
  const record = (level: string) => (object: object, message?: string) => lines.push({ level, object: object as Record<string, unknown>, message });
  const fixture = await createHttpFixture({ logger: { info: record('info'), warn: record('warn'), error: record('error'), debug: record('debug') } });
  t.after(() => fixture.close());
  let failure: unknown;
  const engine = fixture.engine.engine as unknown as { listPayments: () => Promise<never> };
  engine.listPayments = async () => {
    throw failure;
  };
  const store = fixture.engine.store as unknown as { listSettlementBatches: () => Promise<never> };
  store.listSettlementBatches = async () => {
    throw failure;
  };
  for (const url of ['/v1/payments', '/v1/settlements']) {
    for (const row of failures) {
      failure = row.error;
      lines.length = 0;
      const response = await fixture.app.inject({ method: 'GET', url, headers: bearer(fixture.adminKey) });
      const label = `${url} ${row.name}`;
      assert.equal(response.statusCode, row.status, label);
      const body = response.json() as { code: string; detail: string; requestId: string };
      assert.equal(body.code, row.code, label);
      assert.ok(!response.body.includes(row.secret) && !response.body.includes('5432'), `${label}: the answer names operator detail: ${response.body}`);
      assert.match(body.requestId, /^req_[0-9a-f]{16}$/, label);
      const errors = lines.filter((line) => line.level === 'error');
      assert.equal(errors.length, 1, `${label}: exactly one error line`);
      assert.equal(errors[0]?.object.requestId, body.requestId, `${label}: the log line carries the id the client got`);
      const logged = errors[0]?.object.error as Error;
      const loggedText = `${logged.message} ${String((logged.cause as Error | undefined)?.message ?? '')}`;
      assert.ok(loggedText.includes(row.secret), `${label}: the log has the driver message`);
    }
  }
});
