// Live configuration across gateway nodes (docs/cluster.md, "Live configuration"): one dedicated
// connection per store runs `LISTEN reswipe_config`; a management write announces its change with
// pg_notify in its own transaction, so the notice arrives only once the change is committed, and
// every node drops its cached copy within milliseconds instead of at the next version check.
//
// LISTEN needs a session of its own that stays open: it cannot go through a transaction-mode pooler.
// When the connection drops, the listener reconnects with a growing pause and, once listening again,
// drops everything cached (notices sent while it was away are lost); the version row of migration
// 0013, re-read by the cache, stays the safety net for everything in between.
import pg from 'pg';
import type { ConfigChange } from '../../core/ports/store.ts';
import { configNotifyChannel, parseConfigNotice } from './config-cache.ts';

export interface PostgresConfigListenerOptions {
  connectionString: string;
  schema: string;
  applicationName: string;
  connectTimeoutMs: number;
  /** Called for every change of this schema, and with `all` after each (re)connection. */
  onChange: (change: ConfigChange) => void;
  /** First pause before reconnecting; doubles up to `reconnectMsMax`. */
  reconnectMs?: number;
  reconnectMsMax?: number;
}

export class PostgresConfigListener {
  readonly #options: PostgresConfigListenerOptions;
  #client: pg.Client | null = null;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  #pauseMs: number;
  #listening = false;
  #connects = 0;

  constructor(options: PostgresConfigListenerOptions) {
    this.#options = options;
    this.#pauseMs = options.reconnectMs ?? 200;
  }

  /** Whether the LISTEN connection is up now. */
  get listening(): boolean {
    return this.#listening;
  }

  /** Successful LISTENs since start (1 after the first connection, more after reconnections). */
  get connects(): number {
    return this.#connects;
  }

  start(): void {
    void this.#connect();
  }

  /** Ends the connection for a test of the reconnection (the server side kill is what production sees). */
  dropConnectionForTest(): void {
    this.#client?.end().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = null;
    this.#listening = false;
    if (client !== null) await client.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: this.#options.connectTimeoutMs,
      application_name: `${this.#options.applicationName}-listen`,
    });
    let lost = false;
    const onLoss = (): void => {
      if (lost) return;
      lost = true;
      this.#listening = false;
      if (this.#client === client) this.#client = null;
      this.#scheduleReconnect();
    };
    client.on('error', onLoss);
    client.on('end', onLoss);
    client.on('notification', (message) => {
      if (message.channel !== configNotifyChannel) return;
      const change = parseConfigNotice(this.#options.schema, message.payload);
      if (change !== null) this.#options.onChange(change);
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${configNotifyChannel}`);
    } catch {
      client.end().catch(() => undefined);
      onLoss();
      return;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#listening = true;
    this.#connects += 1;
    this.#pauseMs = this.#options.reconnectMs ?? 200;
    // Whatever was announced while no one listened is lost: trust nothing cached from before.
    this.#options.onChange({ kind: 'all' });
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#timer !== null) return;
    const pause = this.#pauseMs;
    this.#pauseMs = Math.min(pause * 2, this.#options.reconnectMsMax ?? 5_000);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, pause);
    this.#timer.unref();
  }
}
