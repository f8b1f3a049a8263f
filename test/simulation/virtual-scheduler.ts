// Virtual time for the deterministic simulation: a queue of tasks ordered by (instant, insertion),
// a ManualClock moved to each task's instant, and `settle()`, which lets every promise and every
// store batch started by the last task run to completion before time moves again. Nothing in the
// simulated gateway may use a real timer, so the whole run is a function of its seed.
import { ManualClock } from '../../src/core/time/clock.ts';

interface Task {
  readonly atMs: number;
  readonly order: number;
  /** Tasks of a crashed gateway generation are dropped unfired; -1 belongs to no generation (network, issuer, clients). */
  readonly epoch: number;
  readonly run: () => void | Promise<void>;
}

/** A binary min-heap on (atMs, order), so 10^5 pending tasks cost log n each. */
class TaskHeap {
  readonly #items: Task[] = [];
  get size(): number {
    return this.#items.length;
  }
  push(task: Task): void {
    const items = this.#items;
    items.push(task);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(items[index]!, items[parent]!)) break;
      [items[index], items[parent]] = [items[parent]!, items[index]!];
      index = parent;
    }
  }
  pop(): Task | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
        if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest]!, items[index]!];
        index = smallest;
      }
    }
    return top;
  }
  peek(): Task | undefined {
    return this.#items[0];
  }
}

function before(a: Task, b: Task): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}

/** How many event-loop turns one settle may take before the run is declared stuck. */
const settleTurnsMax = 10_000;

export class VirtualScheduler {
  readonly clock: ManualClock;
  readonly #tasks = new TaskHeap();
  #order = 0;
  /** The live gateway generation; tasks tagged with an older one are dropped. */
  epoch = 0;
  /** Store writes submitted and not yet settled (maintained by the counting store wrapper). */
  pendingWrites = 0;
  tasksRun = 0;

  constructor(startAtMs: number) {
    this.clock = new ManualClock(startAtMs);
  }

  nowMs(): number {
    return this.clock.nowMs();
  }

  /** Runs `run` at `atMs` (not earlier than now). `epoch` -1 survives gateway crashes. */
  at(atMs: number, run: () => void | Promise<void>, epoch = -1): void {
    this.#tasks.push({ atMs: Math.max(atMs, this.clock.nowMs()), order: this.#order++, epoch, run });
  }

  after(delayMs: number, run: () => void | Promise<void>, epoch = -1): void {
    this.at(this.clock.nowMs() + Math.max(0, delayMs), run, epoch);
  }

  /** A sleep in virtual time for the current gateway generation: a crash leaves it unresolved forever, like a dead process. */
  sleepFor(epoch: number): (durationMs: number) => Promise<void> {
    return (durationMs) => new Promise<void>((resolve) => this.after(durationMs, resolve, epoch));
  }

  /** A repeating task of the current gateway generation in virtual time (the gateway's `every` override); a crash drops it with its generation. */
  everyFor(epoch: number): (intervalMs: number, task: () => void) => () => void {
    return (intervalMs, task) => {
      let running = true;
      const tick = (): void => {
        if (!running) return;
        task();
        this.after(intervalMs, tick, epoch);
      };
      this.after(intervalMs, tick, epoch);
      return () => {
        running = false;
      };
    };
  }

  /** Lets promise chains and store batches started so far finish, without moving time. */
  async settle(): Promise<void> {
    let quietTurns = 0;
    for (let turn = 0; turn < settleTurnsMax; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.pendingWrites === 0) {
        quietTurns += 1;
        if (quietTurns >= 2) return;
      } else {
        quietTurns = 0;
      }
    }
    throw new Error(`simulation stuck: ${this.pendingWrites} store writes still pending after ${settleTurnsMax} turns`);
  }

  /** Fires every task due up to `untilMs` (or until `tasksMax`), settling after each; returns the tasks run. */
  async runUntil(untilMs: number, tasksMax = 10_000_000): Promise<number> {
    let ran = 0;
    await this.settle();
    while (ran < tasksMax) {
      const next = this.#tasks.peek();
      if (next === undefined || next.atMs > untilMs) break;
      this.#tasks.pop();
      if (next.epoch !== -1 && next.epoch !== this.epoch) continue;
      if (next.atMs > this.clock.nowMs()) this.clock.set(next.atMs);
      const running = next.run();
      // Only the harness's own restart task is async, and it awaits nothing that needs time to move.
      if (running instanceof Promise) await running;
      ran += 1;
      this.tasksRun += 1;
      await this.settle();
    }
    if (this.clock.nowMs() < untilMs && (this.#tasks.peek()?.atMs ?? Infinity) > untilMs) this.clock.set(untilMs);
    return ran;
  }

  /** The instant of the next live task, or null when nothing is scheduled. */
  nextAtMs(): number | null {
    return this.#tasks.peek()?.atMs ?? null;
  }
}
