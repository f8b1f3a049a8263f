// Upstream STANs handed out from blocks reserved durably: one counter write per block instead of one
// per STAN (docs/store.md, "STAN blocks"). The counter row of a channel always holds the LAST STAN of
// the newest block reserved by any node, so a block is never handed out twice: not after a crash (the
// rest of the block is skipped, never reused), not by two gateway nodes on one PostgreSQL database.
//
// A block reserved inside a unit is usable by the units after it in the same batch (same transaction);
// if that unit rolls back or the batch fails, the block is forgotten, since its reservation was undone.

/** Upstream STANs run 000001..999999 and wrap (DE 11 is six digits). */
export const stanMax = 999_999;

/** Default STANs per reserved block: at 5,000 sales/s on one channel, 5 counter writes a second. */
export const stanBlockSizeDefault = 1_000;

interface StanBlock {
  /** The next STAN to hand out. */
  next: number;
  /** STANs left in the block, `next` included. */
  left: number;
}

/** The statement that reserves a block of `size` STANs and returns the last one (the new counter value). */
export function reserveStanBlockSql(size: number): string {
  // The counter moves from `value` (last STAN handed out) to value + size, wrapping within 1..999999.
  return `INSERT INTO stan_counters (channel, value) VALUES (?, ${size})
       ON CONFLICT (channel) DO UPDATE SET value = ((stan_counters.value + ${size} - 1) % ${stanMax}) + 1
       RETURNING value`;
}

/** The first STAN of the block of `size` that ends at `last` (wrapping). */
export function firstStanOfBlock(last: number, size: number): number {
  return ((((last - size) % stanMax) + stanMax) % stanMax) + 1;
}

/** The blocks one store holds in memory, per channel. */
export class StanBlocks {
  readonly size: number;
  readonly #blocks = new Map<string, StanBlock>();

  constructor(size: number = stanBlockSizeDefault) {
    if (!(Number.isSafeInteger(size) && size >= 1 && size <= 100_000)) throw new Error(`STAN block size must be an integer in 1..100000, not ${size}`);
    this.size = size;
  }

  /** The next STAN of the channel's current block, or null when it has none left. */
  take(channel: string): number | null {
    const block = this.#blocks.get(channel);
    if (block === undefined || block.left <= 0) return null;
    const stan = block.next;
    block.next = stan >= stanMax ? 1 : stan + 1;
    block.left -= 1;
    return stan;
  }

  /** Installs the block that ends at `last`; returns a function that forgets it again (if still current). */
  install(channel: string, last: number): () => void {
    const block: StanBlock = { next: firstStanOfBlock(last, this.size), left: this.size };
    this.#blocks.set(channel, block);
    return () => {
      if (this.#blocks.get(channel) === block) this.#blocks.delete(channel);
    };
  }

  /** Forgets the channel's block: the counter was set, so the next STAN comes from a fresh reservation. */
  forget(channel: string): void {
    this.#blocks.delete(channel);
  }
}
