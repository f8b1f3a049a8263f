// Bounded admission for payments: at most `inFlightPerKeyMax` at once per terminal with a bounded
// FIFO queue behind it, and at most `inFlightMax` in the whole engine. Overflow is refused at once
// (nothing has been sent, so a refusal is always safe); waiting is never unbounded.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

interface Waiter {
  resolve(release: () => void): void;
}

interface Lane {
  inFlight: number;
  queue: Waiter[];
}

export class TerminalGate {
  readonly #inFlightPerKeyMax: number;
  readonly #queuePerKeyMax: number;
  readonly #inFlightMax: number;
  readonly #lanes = new Map<string, Lane>();
  #inFlight = 0;

  constructor(options: { inFlightPerKeyMax: number; queuePerKeyMax: number; inFlightMax: number }) {
    if (options.inFlightPerKeyMax < 1 || options.queuePerKeyMax < 0 || options.inFlightMax < 1) throw new Error('broken invariant: gate bounds');
    this.#inFlightPerKeyMax = options.inFlightPerKeyMax;
    this.#queuePerKeyMax = options.queuePerKeyMax;
    this.#inFlightMax = options.inFlightMax;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Waits for a slot (key null: only the global bound applies) and returns its release function. */
  async acquire(key: string | null): Promise<() => void> {
    // The global bound counts admitted and queued work alike, so the queue cannot grow past it either.
    if (this.#inFlight >= this.#inFlightMax) throw new ReswipeError('RSW_ENGINE_OVERLOADED', { inFlight: this.#inFlight });
    if (key === null) {
      this.#inFlight += 1;
      return once(() => {
        this.#inFlight -= 1;
      });
    }
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { inFlight: 0, queue: [] };
      this.#lanes.set(key, lane);
    }
    this.#inFlight += 1;
    if (lane.inFlight < this.#inFlightPerKeyMax) {
      lane.inFlight += 1;
      return this.#releaser(key, lane);
    }
    if (lane.queue.length >= this.#queuePerKeyMax) {
      this.#inFlight -= 1;
      throw new ReswipeError('RSW_ENGINE_TERMINAL_BUSY', { terminalId: key, queued: lane.queue.length });
    }
    const current = lane;
    return new Promise((resolve) => current.queue.push({ resolve }));
  }

  #releaser(key: string, lane: Lane): () => void {
    return once(() => {
      this.#inFlight -= 1;
      const next = lane.queue.shift();
      if (next !== undefined) {
        // The slot passes straight to the next waiter; the lane's in-flight count stays the same.
        next.resolve(this.#releaser(key, lane));
        return;
      }
      lane.inFlight -= 1;
      if (lane.inFlight === 0) this.#lanes.delete(key);
    });
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
