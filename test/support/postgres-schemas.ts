// PostgreSQL for store tests: whether the test server answers, and dropping the schemas a run made.
// The server comes from RESWIPE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
import pg from 'pg';

export const testPostgresUrl = process.env.RESWIPE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** null when the server answers, else why not. */
export async function probePostgres(url: string = testPostgresUrl): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops (and forgets) every schema in `schemas`. */
export async function dropPostgresSchemas(schemas: string[], url: string = testPostgresUrl): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
