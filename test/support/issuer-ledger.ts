// Shared by the tests that run `reswipe issuer-sim` as a process: reading its ledger over the admin
// API, and waiting (bounded) until the ledger shows what a test expects, since reversals and refunds
// reach the simulator asynchronously.
import { setTimeout as delay } from 'node:timers/promises';

export interface IssuerLedger<Entry> {
  entries: Entry[];
  totals: { netChargedMinor: number };
}

const pollMs = 100;

/** The simulator's ledger (its newest 10 000 entries and the totals), read from its admin API. */
export async function readIssuerLedger<Entry>(adminPort: number): Promise<IssuerLedger<Entry>> {
  const response = await fetch(`http://127.0.0.1:${adminPort}/ledger?entries=10000`);
  return (await response.json()) as IssuerLedger<Entry>;
}

/** Reads the ledger every 100 ms until `predicate` holds and returns its entries; after `timeoutMs` throws naming `what`, with the entries it last saw. */
export async function waitForIssuerLedger<Entry>(adminPort: number, what: string, predicate: (entries: Entry[]) => boolean, timeoutMs: number): Promise<Entry[]> {
  for (let waitedMs = 0; waitedMs <= timeoutMs; waitedMs += pollMs) {
    const { entries } = await readIssuerLedger<Entry>(adminPort);
    if (predicate(entries)) return entries;
    await delay(pollMs);
  }
  throw new Error(`ledger never showed ${what}: ${JSON.stringify((await readIssuerLedger<Entry>(adminPort)).entries)}`);
}
