// Named prepared statements for the PostgreSQL store: the server parses and plans a statement once
// per connection instead of at every call, and node-postgres then sends only Bind/Execute for it.
import { createHash } from 'node:crypto';
import { numberPlaceholders } from './sql-executor.ts';

export interface PreparedStatement {
  /** Derived from the text alone (a hash): two texts never share a name, on any connection or node, even after the cache is cleared. */
  readonly name: string;
  /** The text with `$n` placeholders. */
  readonly text: string;
}

/**
 * Memoises the name and numbered text of each SQL text. Bounded: the store's texts are a fixed set
 * (a few hundred, counting IN lists and multi-row inserts of every length), so the bound is only a
 * guard; reaching it starts over, which costs a hash per text and changes no name.
 */
export class PreparedStatements {
  readonly #byText = new Map<string, PreparedStatement>();
  readonly #max: number;

  constructor(max = 4096) {
    if (!(Number.isSafeInteger(max) && max >= 1)) throw new Error('max must be a positive integer');
    this.#max = max;
  }

  for(sql: string): PreparedStatement {
    let prepared = this.#byText.get(sql);
    if (prepared === undefined) {
      if (this.#byText.size >= this.#max) this.#byText.clear();
      prepared = { name: preparedStatementName(sql), text: numberPlaceholders(sql) };
      this.#byText.set(sql, prepared);
    }
    return prepared;
  }

  get size(): number {
    return this.#byText.size;
  }
}

/** 96 bits of SHA-256 of the text (the `?` form): a collision between two of the store's texts is out of reach. */
export function preparedStatementName(sql: string): string {
  return `rsw_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
}
