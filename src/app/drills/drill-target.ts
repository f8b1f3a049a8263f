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
  /** A card the sandbox banks approve. */
  card: { number: string; expiry: string; cvv: string };
  primary: DrillBank;
  backup: DrillBank;
  /** The gateway's terminal listener (iso87-ascii, binary length prefix); null when the target has none for drills. */
  terminalLink: { host: string; port: number } | null;
  /** Stops the primary bank's process (sandbox only); without it `bank-stops` drops every connection instead. */
  stopPrimary?: () => Promise<void>;
  startPrimary?: () => Promise<void>;
  close(): Promise<void>;
}
