/** The only way core code learns the time. Adapters pass the system clock; simulations pass a manual one. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** A clock that only moves when told to: for tests and the deterministic simulation. */
export class ManualClock implements Clock {
  private currentMs: number;

  constructor(startAtMs: number) {
    this.currentMs = startAtMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  advance(durationMs: number): void {
    if (durationMs < 0) throw new Error('a clock never goes back');
    this.currentMs += durationMs;
  }

  set(atMs: number): void {
    if (atMs < this.currentMs) throw new Error('a clock never goes back');
    this.currentMs = atMs;
  }
}
