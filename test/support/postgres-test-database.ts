// A PostgreSQL server for tests that need one (RESWIPE_TEST_POSTGRES_URL, default the local `test`
// database): whether it answers, and throwaway schemas named per run so parallel runs never collide.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dropPostgresSchemas, probePostgres } from './postgres-schemas.ts';

export const postgresTestUrl = process.env.RESWIPE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why the server cannot be used, or null when it answers. */
export const postgresUnreachable = probePostgres;

/**
 * Registers one test that is skipped (or fails with RESWIPE_REQUIRE_POSTGRES=1) when the server is
 * unreachable; returns true when the real tests may be defined.
 */
export async function requirePostgres(suite: string): Promise<boolean> {
  const unreachable = await postgresUnreachable();
  if (unreachable === null) return true;
  const reason = `PostgreSQL at ${postgresTestUrl.replace(/:[^:@/]*@/, ':***@')} is unreachable (${unreachable}); set RESWIPE_TEST_POSTGRES_URL`;
  if (process.env.RESWIPE_REQUIRE_POSTGRES === '1') test(`${suite} (RESWIPE_REQUIRE_POSTGRES=1)`, () => assert.fail(reason));
  else test(suite, { skip: reason }, () => undefined);
  return false;
}

/** Schemas `<prefix>_<run>_<n>`, each dropped by dropAll(). */
export class TestSchemas {
  readonly #prefix: string;
  readonly #made: string[] = [];

  constructor(prefix: string) {
    this.#prefix = `${prefix}_${randomBytes(4).toString('hex')}`;
  }

  fresh(): string {
    const schema = `${this.#prefix}_${this.#made.length}`;
    this.#made.push(schema);
    return schema;
  }

  dropAll(): Promise<void> {
    return dropPostgresSchemas(this.#made, postgresTestUrl);
  }
}
