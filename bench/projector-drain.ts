// For bench/auth.ts: reads the gateway's payment journal head and both projectors' checkpoints straight
// from its database (SQLite file, read-only, or the bench's PostgreSQL database on a connection named
// `reswipe-bench-probe`, which the bench leaves out of the server's CPU), so a phase can start and end
// with the projectors caught up and its CPU per sale then includes the derived work of its own sales.
import Database from 'better-sqlite3';
import pg from 'pg';
import { setTimeout as delay } from 'node:timers/promises';

/** The connection's application_name: the bench's sum of the server's CPU skips it. */
export const probeApplicationName = 'reswipe-bench-probe';

export interface JournalPosition {
  /** The highest journal seq written (0 with an empty journal). */
  head: number;
  /** The payment projector's checkpoint (fee lines, events, payment list). */
  payments: number;
  /** The analytics projector's checkpoint (the rollup). */
  analytics: number;
}

export interface JournalProbe {
  position(): Promise<JournalPosition>;
  /** Polls every 20 ms until both checkpoints reach the head; resolves with the ms it took, or rejects after `waitMsMax`. */
  waitCaughtUp(waitMsMax: number): Promise<number>;
  close(): Promise<void>;
}

const positionSql = `SELECT
  (SELECT COALESCE(MAX(journal_seq), 0) FROM payments) AS head,
  (SELECT COALESCE(MAX(seq), 0) FROM projector_checkpoints WHERE name = 'payments') AS payments,
  (SELECT COALESCE(MAX(seq), 0) FROM projector_checkpoints WHERE name = 'analytics') AS analytics`;

function positionOf(row: Record<string, unknown> | undefined): JournalPosition {
  return { head: Number(row?.head ?? 0), payments: Number(row?.payments ?? 0), analytics: Number(row?.analytics ?? 0) };
}

/** Opens a probe on `sqlite:<file>` or a `postgres://` URL. */
export async function openJournalProbe(url: string): Promise<JournalProbe> {
  let read: () => Promise<JournalPosition>;
  let close: () => Promise<void>;
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    const statement = db.prepare(positionSql);
    read = async () => positionOf(statement.get() as Record<string, unknown> | undefined);
    close = async () => {
      db.close();
    };
  } else {
    const client = new pg.Client({ connectionString: url, application_name: probeApplicationName });
    await client.connect();
    read = async () => positionOf((await client.query(positionSql)).rows[0] as Record<string, unknown> | undefined);
    close = () => client.end();
  }
  return {
    position: read,
    async waitCaughtUp(waitMsMax) {
      const startedMs = Date.now();
      for (;;) {
        const at = await read();
        if (at.payments >= at.head && at.analytics >= at.head) return Date.now() - startedMs;
        if (Date.now() - startedMs > waitMsMax) throw new Error(`projectors not caught up within ${waitMsMax} ms: ${JSON.stringify(at)}`);
        await delay(20);
      }
    },
    close,
  };
}
