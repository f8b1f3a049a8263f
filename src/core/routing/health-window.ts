// The sliding window of a channel's recent results (src/core/routing/channel-health.ts) as an immutable
// value that extends in constant time. The window holds up to healthWindowEntriesMax results and takes one
// per sale: copying it on every result (as a plain array would) made 64 KB of garbage per sale at 4,096
// entries, a third of everything the gateway allocated. Windows share one backing array instead: a window
// sees only its own [start, end) range of it, so extending the newest window appends in place without
// changing what any older window sees; extending an older window again (a fork) copies first.

export type HealthSignalKind = 'ok' | 'timeout' | 'error';

/** One attempt's result in a channel's health window. */
export interface WindowEntry {
  readonly atMs: number;
  readonly kind: HealthSignalKind;
  readonly latencyMs: number | null;
}

/** Below this many dropped entries at the front the backing array is not compacted (not worth a copy). */
const compactAfterDropped = 64;

export class HealthWindow implements Iterable<WindowEntry> {
  readonly #entries: WindowEntry[];
  readonly #start: number;
  readonly #end: number;

  private constructor(entries: WindowEntry[], start: number, end: number) {
    this.#entries = entries;
    this.#start = start;
    this.#end = end;
  }

  /** A new empty window (each one owns its backing array). */
  static empty(): HealthWindow {
    return new HealthWindow([], 0, 0);
  }

  get length(): number {
    return this.#end - this.#start;
  }

  *[Symbol.iterator](): Iterator<WindowEntry> {
    for (let index = this.#start; index < this.#end; index += 1) yield this.#entries[index] as WindowEntry;
  }

  /**
   * This window with `entry` appended, then, from the oldest, every entry at or before `dropAtOrBeforeMs`
   * and every entry beyond the newest `entriesMax` dropped. This window is left as it was.
   */
  appendAndTrim(entry: WindowEntry, dropAtOrBeforeMs: number, entriesMax: number): HealthWindow {
    let entries = this.#entries;
    let start = this.#start;
    let end = this.#end;
    if (end !== entries.length) {
      // Another window already extended this one in the shared array: appending there would overwrite its entry.
      entries = entries.slice(start, end);
      end -= start;
      start = 0;
    }
    entries.push(entry);
    end += 1;
    while (start < end && ((entries[start] as WindowEntry).atMs <= dropAtOrBeforeMs || end - start > entriesMax)) start += 1;
    // Once the dropped front outgrows the live part, copy the live part: the array stays within twice the
    // window, and each entry is copied about once over its life.
    if (start > compactAfterDropped && start >= end - start) {
      entries = entries.slice(start, end);
      end -= start;
      start = 0;
    }
    return new HealthWindow(entries, start, end);
  }
}
