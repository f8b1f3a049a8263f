// "Last seen" of terminals (docs/terminal-link.md): at most one store write per terminal per
// interval, started in the background (never awaited by the request, so a sale's answer waits for
// nothing extra) and handed to `track` so the listener's close() waits for it. The write is a narrow
// UPDATE that moves lastSeenAtMs forward only and ignores unknown ids, so a stray DE 41 creates
// nothing; it is throttled like a known one.
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Store } from '../../core/ports/store.ts';

/** Terminals whose last "last seen" write is remembered; beyond it the oldest is forgotten (and may be written again early). */
export const lastSeenTerminalsMax = 100_000;

export class TerminalLastSeen {
  readonly #store: Pick<Store, 'write'>;
  readonly #logger: LoggerLike;
  readonly #listenerName: string;
  readonly #intervalMs: number;
  readonly #track: (work: Promise<void>) => void;
  /** Per terminal id (DE 41), when its lastSeenAtMs was last written (or that write was started); oldest first. */
  readonly #writtenAtMs = new Map<string, number>();

  constructor(options: { store: Pick<Store, 'write'>; logger: LoggerLike; listenerName: string; intervalMs: number; track: (work: Promise<void>) => void }) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#listenerName = options.listenerName;
    this.#intervalMs = options.intervalMs;
    this.#track = options.track;
  }

  /** A message from `terminalId` arrived at nowMs: writes it unless it was written within the interval. */
  note(terminalId: string, nowMs: number): void {
    if (terminalId === '') return;
    const writtenAtMs = this.#writtenAtMs.get(terminalId);
    if (writtenAtMs !== undefined && nowMs - writtenAtMs < this.#intervalMs) return;
    this.remember(terminalId, nowMs);
    this.#track(
      this.#store.write((tx) => tx.touchTerminal(terminalId, nowMs)).then(
        () => undefined,
        (error: unknown) => {
          if (this.#writtenAtMs.get(terminalId) === nowMs) this.#writtenAtMs.delete(terminalId);
          this.#logger.warn({ listener: this.#listenerName, terminalId, error: isReswipeError(error) ? error.code : 'unknown' }, 'terminal last-seen write failed; the next message retries it');
        },
      ),
    );
  }

  /** lastSeenAtMs was written at atMs by someone else (sign-on, sign-off): the next write waits the interval from here. */
  remember(terminalId: string, atMs: number): void {
    // Delete first so the entry moves to the end: the map stays ordered oldest write first.
    this.#writtenAtMs.delete(terminalId);
    this.#writtenAtMs.set(terminalId, atMs);
    if (this.#writtenAtMs.size > lastSeenTerminalsMax) {
      const oldest = this.#writtenAtMs.keys().next();
      if (oldest.done !== true) this.#writtenAtMs.delete(oldest.value);
    }
  }
}
