// Cluster leadership on PostgreSQL (src/core/ports/leadership.ts): pg_try_advisory_lock on a session
// connection of its own, held as long as the node leads. The lock lives and dies with that session:
// a node that crashes, or whose connection breaks or is terminated, loses it at once in the server,
// and the next follower to try gets it. The leader checks its connection every interval; any error
// there ends its leadership on its side too, before another node can take over for long.
import pg from 'pg';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Leadership } from '../../core/ports/leadership.ts';

export interface PostgresLeadershipOptions {
  url: string;
  /** The lock key's name; the store's schema, so installations sharing a database elect apart. */
  key: string;
  checkIntervalMs: number;
  logger: LoggerLike;
  /** Shown in pg_stat_activity (default `reswipe-leader`), so an operator sees which session leads. */
  applicationName?: string;
  /** False while the node's own membership lease lapsed: it does not try to lead then. */
  mayLead?: () => boolean;
}

export class PostgresLeadership implements Leadership {
  readonly #options: PostgresLeadershipOptions;
  readonly #listeners: Array<(leader: boolean) => void> = [];
  #client: pg.Client | null = null;
  #leader = false;
  #timer: NodeJS.Timeout | null = null;
  #checking: Promise<void> | null = null;
  #stopped = false;

  constructor(options: PostgresLeadershipOptions) {
    this.#options = options;
  }

  isLeader(): boolean {
    return this.#leader;
  }

  onChange(listener: (leader: boolean) => void): void {
    this.#listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.check();
    if (this.#stopped) return;
    this.#timer = setInterval(() => {
      this.#checking ??= this.check().finally(() => {
        this.#checking = null;
      });
    }, this.#options.checkIntervalMs);
    this.#timer.unref();
  }

  /** One round: a follower tries the lock, the leader proves its session is still there. Never throws. */
  async check(): Promise<void> {
    if (this.#stopped) return;
    try {
      const client = await this.#connection();
      if (this.#leader) {
        await client.query('SELECT 1');
        return;
      }
      if (this.#options.mayLead?.() === false) return;
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`reswipe.leader:${this.#options.key}`]);
      if (result.rows[0]?.locked === true && !this.#stopped) this.#set(true);
    } catch (error) {
      this.#options.logger.warn({ error: error instanceof Error ? error.message : 'unknown', leader: this.#leader }, 'leadership connection failed; leadership given up, tried again at the next interval');
      this.#lose();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.#checking;
    // Closing the session frees the lock in the server: another node takes over at its next try.
    const client = this.#client;
    this.#client = null;
    if (client !== null) await client.end().catch(() => undefined);
    if (this.#leader) this.#set(false);
  }

  async #connection(): Promise<pg.Client> {
    if (this.#client !== null) return this.#client;
    const client = new pg.Client({ connectionString: this.#options.url, application_name: this.#options.applicationName ?? 'reswipe-leader', connectionTimeoutMillis: 5000, query_timeout: Math.max(1000, this.#options.checkIntervalMs * 2) });
    // A session that dies between checks: leadership ends now, not at the next check.
    client.on('error', (error) => {
      this.#options.logger.warn({ error: error.message }, 'leadership session lost');
      this.#lose();
    });
    client.on('end', () => {
      if (this.#client === client) this.#lose();
    });
    this.#client = client;
    try {
      await client.connect();
    } catch (error) {
      this.#client = null;
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  #lose(): void {
    const client = this.#client;
    this.#client = null;
    if (client !== null) void client.end().catch(() => undefined);
    if (this.#leader) this.#set(false);
  }

  #set(leader: boolean): void {
    if (this.#leader === leader) return;
    this.#leader = leader;
    this.#options.logger.info({ leader }, leader ? 'this node is now the cluster leader' : 'this node is no longer the cluster leader');
    for (const listener of this.#listeners) listener(leader);
  }
}
