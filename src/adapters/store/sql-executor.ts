// The small surface the shared SQL code needs from a database connection. SQL is written once with
// `?` placeholders; the PostgreSQL executor numbers them (`$1`, `$2`, ...) before sending.

/** A value bound to a placeholder. Booleans become 0/1 on SQLite; JSON is bound as its text. */
export type SqlValue = string | number | boolean | null;

/** One result row, keyed by column name, as the driver returns it. */
export type SqlRow = Readonly<Record<string, unknown>>;

export interface SqlExecutor {
  /** Runs a statement that returns rows (SELECT, or INSERT ... RETURNING). */
  all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params: readonly SqlValue[]): Promise<number>;
}

/** Rewrites `?` placeholders to PostgreSQL's `$n`. The store's SQL has no `?` inside literals. */
export function numberPlaceholders(sql: string): string {
  let position = 0;
  return sql.replace(/\?/g, () => `$${++position}`);
}
