// What a drill rehearses against: a gateway reached over its HTTP API (and, for the batch scenario,
// its terminal link) and the sandbox banks behind it, reached over the issuer simulator's admin API
// (GET /ledger, PUT /faults). The sandbox (drill-sandbox.ts) builds one in this process; `--target`
// names a staging gateway and its sandbox banks.

export interface DrillBank {
  /** The gateway's channel name for this bank. */
  channel: string;
  /** The issuer simulator's admin API, e.g. http://127.0.0.1:9101 */
  adminUrl: string;
}

export interface DrillTarget {
  /** `sandbox`, or the gateway URL. */
  label: string;
  gatewayUrl: string;
  /** An admin API key of the gateway. */
  apiKey: string;
  merchantId: string;
  terminals: readonly string[];
  /** Cards the sandbox banks approve; lane n sells with card n modulo their number (so no one card's balance runs out). */
  cards: ReadonlyArray<{ number: string; expiry: string; cvv: string }>;
  primary: DrillBank;
  backup: DrillBank;
  /** The gateway's terminal listener (iso87-ascii, binary length prefix); null when the target has none for drills. */
  terminalLink: { host: string; port: number } | null;
  /** Stops the primary bank's process (sandbox only); without it `bank-stops` drops every connection instead. */
  stopPrimary?: () => Promise<void>;
  startPrimary?: () => Promise<void>;
  close(): Promise<void>;
}

/** The issuer simulator's rich test cards (docs/issuer-simulator.md): UnionPay, Visa and Mastercard, debit and credit. */
export const drillCards = Object.freeze([
  { number: '6222020000000000018', expiry: '3012', cvv: '123' },
  { number: '4319400000000018', expiry: '3012', cvv: '123' },
  { number: '5200828282828210', expiry: '3012', cvv: '123' },
  { number: '6225880000000019', expiry: '3012', cvv: '123' },
  { number: '4111111111111111', expiry: '3012', cvv: '123' },
  { number: '5555555555554444', expiry: '3012', cvv: '123' },
]);
