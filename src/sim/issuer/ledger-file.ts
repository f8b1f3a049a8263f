// The simulator's optional durable ledger: an append-only JSON-lines file of issuer events
// (issuer-book.ts). Each event is written before its reply leaves, and replaying the file rebuilds
// balances, the ledger and duplicate detection after a restart, so a chaos test can kill and restart
// the simulator and still audit what was charged. Events hold masked PANs and card ids only.
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { IssuerEvent } from './issuer-book.ts';

/** A ledger file larger than this is refused rather than read into memory. */
export const ledgerFileBytesMax = 256 * 1024 * 1024;

const eventTypes = new Set(['answered', 'reversed', 'reset']);

/** Reads the events of a ledger file; a missing file has none. A torn last line (crash mid-write) is dropped. */
export function readLedgerFile(path: string): IssuerEvent[] {
  if (!existsSync(path)) return [];
  const unreadable = (reason: string): ReswipeError => new ReswipeError('RSW_SIM_LEDGER_FILE_UNREADABLE', { path, reason });
  let text: string;
  try {
    if (statSync(path).size > ledgerFileBytesMax) throw unreadable(`larger than ${ledgerFileBytesMax} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ReswipeError) throw error;
    throw unreadable(error instanceof Error ? error.message : String(error));
  }
  const lines = text.split('\n');
  // The text after the last newline is either empty or a line whose write was cut short.
  lines.pop();
  const events: IssuerEvent[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw unreadable(`line ${index + 1} is not JSON`);
    }
    if (typeof event !== 'object' || event === null || !eventTypes.has((event as { type?: unknown }).type as string)) {
      throw unreadable(`line ${index + 1} is not an issuer event`);
    }
    events.push(event as IssuerEvent);
  });
  return events;
}

/** Appends events, one JSON line each, synchronously so they are in the file before the reply is written. */
export class LedgerFile {
  readonly path: string;
  #fd: number | null;

  constructor(path: string) {
    this.path = path;
    try {
      this.#fd = openSync(path, 'a');
    } catch (error) {
      throw new ReswipeError('RSW_SIM_LEDGER_FILE_UNREADABLE', { path, reason: error instanceof Error ? error.message : String(error) });
    }
  }

  append(events: readonly IssuerEvent[]): void {
    if (events.length === 0) return;
    if (this.#fd === null) throw new Error('ledger file used after close');
    writeSync(this.#fd, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
