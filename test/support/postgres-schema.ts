// PostgreSQL for a test file: the server from RESWIPE_TEST_POSTGRES_URL, a schema per store group
// (reswipe_test_<random>_<n>) dropped at the end, and whether the server is reachable at all (tests are
// skipped when it is not, or fail with RESWIPE_REQUIRE_POSTGRES=1).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dropPostgresSchemas, probePostgres as probeServer } from './postgres-schemas.ts';

export const postgresUrl = process.env.RESWIPE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const postgresRequired = process.env.RESWIPE_REQUIRE_POSTGRES === '1';

/** Null when the server answers, else why not. */
export function probePostgres(): Promise<string | null> {
  return probeServer(postgresUrl);
}

/** Fresh schema names for one test file, and their removal. */
export function testSchemas(prefix = 'reswipe_test'): { fresh(): string; dropAll(): Promise<void> } {
  const runId = randomBytes(4).toString('hex');
  const schemas: string[] = [];
  return {
    fresh() {
      const schema = `${prefix}_${runId}_${schemas.length}`;
      schemas.push(schema);
      return schema;
    },
    dropAll() {
      return dropPostgresSchemas(schemas, postgresUrl);
    },
  };
}

/** Runs one statement on a connection of its own (pg_terminate_backend, CREATE DATABASE, ...). */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = [], url = postgresUrl): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
