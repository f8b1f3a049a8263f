// The channels routing chooses from, kept live across gateway nodes (docs/cluster.md, "Live
// configuration"): the channels this node connected at start-up (config.channels, enabled), with the
// priority and `disabled` flag of their stored records, which PATCH /v1/channels/{name} changes on any
// node. Re-read when the store reports a configuration change (on PostgreSQL a NOTIFY from the node
// that made it, delivered on commit), and every `refreshMs` as the safety net.
//
// A channel this node did not connect at start-up (disabled in its config file, or created through the
// API) cannot be routed to until a restart: enabling it here has no connection to send on.
import type { ConfiguredChannel } from '../../core/routing/choose-route.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { ChannelRecord, Store } from '../../core/ports/store.ts';
import { coalescedRefresh } from '../coalesced-refresh.ts';

/** The configured channel with the stored record's priority, disabled flag and operator holds (the record wins: it is what the API changed). */
export function withStoredSettings(configured: ConfiguredChannel, stored: ChannelRecord | undefined): ConfiguredChannel {
  if (stored === undefined) return configured;
  return {
    name: configured.name,
    weight: configured.weight,
    priority: stored.priority,
    disabled: configured.disabled || stored.disabled,
    draining: stored.draining,
    circuitOverride: stored.circuitOverride === null ? null : { state: stored.circuitOverride.state, untilMs: stored.circuitOverride.untilMs },
  };
}

/** What routing reads of a channel, to tell a change worth logging. */
function settingsKey(channel: ConfiguredChannel | undefined): string {
  if (channel === undefined) return '';
  return JSON.stringify([channel.priority, channel.disabled, channel.draining === true, channel.circuitOverride ?? null]);
}

export class LiveChannels {
  readonly #store: Store;
  readonly #configured: readonly ConfiguredChannel[];
  readonly #logger: LoggerLike;
  #current: readonly ConfiguredChannel[];
  #refreshes = 0;

  constructor(options: { store: Store; configured: readonly ConfiguredChannel[]; logger: LoggerLike }) {
    this.#store = options.store;
    this.#configured = options.configured;
    this.#logger = options.logger;
    this.#current = options.configured;
    this.refresh = coalescedRefresh(this.#read, { logger: options.logger, failureMessage: 'channel settings could not be re-read; keeping the last known' });
  }

  /** Reads the stored records again; a refresh asked for while one runs runs once more after it. */
  readonly refresh: () => Promise<void>;

  /** The channels as routing sees them now. */
  current(): readonly ConfiguredChannel[] {
    return this.#current;
  }

  /** Completed refreshes since start (for tests and /v1/channels/health). */
  get refreshes(): number {
    return this.#refreshes;
  }

  #read = async (): Promise<void> => {
    const stored = new Map((await this.#store.listChannels()).map((record) => [record.name, record]));
    const next = this.#configured.map((channel) => withStoredSettings(channel, stored.get(channel.name)));
    const changed = next.some((channel, index) => settingsKey(channel) !== settingsKey(this.#current[index]));
    this.#current = next;
    this.#refreshes += 1;
    if (changed) this.#logger.info({ channels: next.map(({ name, priority, disabled, draining, circuitOverride }) => ({ name, priority, disabled, draining: draining === true, circuitOverride: circuitOverride ?? null })) }, 'channel settings changed: routing uses them from now on');
  };

  /** Refreshes on every change notice of a channel (or of everything); returns the function that stops listening. */
  follow(): () => void {
    return (
      this.#store.onConfigChange?.((change) => {
        if (change.kind === 'channel' || change.kind === 'all') void this.refresh();
      }) ?? (() => undefined)
    );
  }
}
