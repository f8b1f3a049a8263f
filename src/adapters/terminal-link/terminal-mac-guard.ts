// The MAC check of the terminal link (docs/terminal-keys.md): before anything happens to a request
// that moves or reveals money, its MAC is checked under the terminal's current MAC key (once more
// under the store's key when the remembered one fails: a sign-on served by another gateway node issued
// new keys). A refusal is logged, counted and raised as event `terminal.mac_rejected`, at most once per
// terminal per second so a flood of forged MACs cannot flood the store; never the MAC bytes.
import { getText, type Dialect, type IsoMessage } from '../../core/iso8583/index.ts';
import { checkMessageMac, macFieldOf, type MacMode } from '../../core/crypto/terminal-mac.ts';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Store } from '../../core/ports/store.ts';
import type { MacKey, WorkingKeyPort } from '../../core/ports/terminal-keys.ts';
import type { Clock } from '../../core/time/clock.ts';
import { lastSeenTerminalsMax } from './terminal-last-seen.ts';

/** Why a request's MAC was refused; the label of reswipe_terminal_mac_rejected_total. */
export type MacRejection = 'missing' | 'bad' | 'no_working_keys';

/** At most one `terminal.mac_rejected` event per terminal per this interval; the metric counts all. */
const macRejectedEventIntervalMs = 1_000;

export interface TerminalMacGuardOptions {
  dialect: Dialect;
  macMode: MacMode;
  keys: Pick<WorkingKeyPort, 'macKeyOf'> | undefined;
  store: Pick<Store, 'write'>;
  clock: Clock;
  logger: LoggerLike;
  listenerName: string;
  onMacRejected?: (reason: MacRejection) => void;
}

export class TerminalMacGuard {
  readonly #options: TerminalMacGuardOptions;
  /** Per terminal id, when its last mac_rejected event was written and how many refusals went unrecorded since. */
  readonly #events = new Map<string, { atMs: number; suppressed: number }>();

  constructor(options: TerminalMacGuardOptions) {
    this.#options = options;
  }

  /** The MAC key a request checked out against (null: none sent, and the listener lets that pass), or why it is refused. */
  async check(request: IsoMessage, frame: Uint8Array): Promise<{ key: MacKey | null } | { refused: MacRejection }> {
    const { keys, dialect, macMode } = this.#options;
    const sent = request.fields[macFieldOf(dialect, request)];
    if (!(sent instanceof Uint8Array)) return macMode === 'required' ? { refused: 'missing' } : { key: null };
    const terminalId = (getText(request, 41) ?? '').trim();
    if (keys === undefined || terminalId === '') return { refused: 'no_working_keys' };
    let key = await keys.macKeyOf(terminalId);
    if (key === null) return { refused: 'no_working_keys' };
    let check = checkMessageMac(dialect, frame, request, key.algorithm, key.macKey);
    if (check === 'bad') {
      key = await keys.macKeyOf(terminalId, true);
      if (key === null) return { refused: 'no_working_keys' };
      check = checkMessageMac(dialect, frame, request, key.algorithm, key.macKey);
    }
    switch (check) {
      case 'ok':
        return { key };
      case 'bad':
        return { refused: 'bad' };
      case 'missing':
        return { refused: 'missing' };
    }
  }

  /** Logs, counts and records a refused MAC (the event at most once per terminal per interval). */
  async refused(request: IsoMessage, reason: MacRejection): Promise<void> {
    const { listenerName, logger, store, clock } = this.#options;
    const terminalId = (getText(request, 41) ?? '').trim();
    this.#options.onMacRejected?.(reason);
    logger.warn({ listener: listenerName, terminalId, mti: request.mti, reason }, 'terminal MAC refused (A0); nothing was processed');
    const nowMs = clock.nowMs();
    const last = this.#events.get(terminalId);
    if (last !== undefined && nowMs - last.atMs < macRejectedEventIntervalMs) {
      last.suppressed += 1;
      return;
    }
    this.#events.delete(terminalId);
    this.#events.set(terminalId, { atMs: nowMs, suppressed: 0 });
    if (this.#events.size > lastSeenTerminalsMax) {
      const oldest = this.#events.keys().next();
      if (oldest.done !== true) this.#events.delete(oldest.value);
    }
    try {
      await store.write((tx) =>
        tx.appendEvent({ type: 'terminal.mac_rejected', subjectId: terminalId === '' ? null : terminalId, payload: { listener: listenerName, mti: request.mti, reason, suppressedBefore: last?.suppressed ?? 0 }, atMs: nowMs }),
      );
    } catch (error) {
      logger.warn({ listener: listenerName, terminalId, error: isReswipeError(error) ? error.code : 'unknown' }, 'terminal.mac_rejected event could not be written');
    }
  }
}
