/** The only source of randomness in core code, so a seeded run replays exactly. */
export interface Random {
  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number;
}

/** A small, fast seeded generator (sfc32). Good for simulation, never for keys or secrets. */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private counter: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.counter = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.counter) | 0;
    this.counter = (this.counter + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}

/** A 128-bit random id with a type prefix: `pay_` + 32 hex digits. */
export function newRandomId(random: Random, prefix: string): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += random.nextUint32().toString(16).padStart(8, '0');
  return `${prefix}_${hex}`;
}

/**
 * A 128-bit id that sorts by creation time: `pay_` + 12 hex digits of the millisecond + 20 random hex
 * digits (80 bits, so still unguessable). Rows keyed by it are appended at the right edge of their
 * B-trees instead of landing on a random page each: a batch of sales dirties a few pages of each
 * index instead of one per sale, which is what the commit writes to the WAL and the checkpoint copies.
 * Draws as many random numbers as `newRandomId`, so a seeded run keeps its sequence.
 */
export function newTimeOrderedId(random: Random, prefix: string, nowMs: number): string {
  const time = Math.max(0, Math.min(Math.floor(nowMs), 0xffff_ffff_ffff)).toString(16).padStart(12, '0');
  // The first 20 hex digits of newRandomId's 32, built directly: the fourth word is drawn and not used.
  const first = hex8(random.nextUint32());
  const second = hex8(random.nextUint32());
  const third = hex8(random.nextUint32()).slice(0, 4);
  random.nextUint32();
  return `${prefix}_${time}${first}${second}${third}`;
}

function hex8(word: number): string {
  return word.toString(16).padStart(8, '0');
}

/** A float in [0, 1). */
export function nextUnit(random: Random): number {
  return random.nextUint32() / 0x1_0000_0000;
}

/** An integer in [min, max], both inclusive. */
export function nextIntInclusive(random: Random, min: number, max: number): number {
  if (!(Number.isInteger(min) && Number.isInteger(max) && min <= max)) throw new Error(`bad range ${min}..${max}`);
  return min + Math.floor(nextUnit(random) * (max - min + 1));
}
