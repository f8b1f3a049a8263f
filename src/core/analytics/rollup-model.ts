// The shapes of the hourly analytics rollup (docs/analytics.md), apart from its arithmetic
// (rollup.ts) so the store port can name them without importing the rules.

/** The dimensions a rollup row is keyed by. Empty text stands for "none" (no terminal, no attempt, approved). */
export interface RollupKey {
  /** Start of the UTC hour the sale was created in. */
  readonly hourMs: number;
  /** Start (as an instant) of the local day in the business time zone the sale was created in: the daily level's time. */
  readonly dayMs: number;
  readonly merchantId: string;
  readonly terminalId: string;
  /** Channel of the sale's last attempt; '' when nothing was sent (a local decline). */
  readonly channel: string;
  /** The cause category (src/core/vocabulary.ts); 'approved' for an approval, 'unknown_outcome' for a reversed or pending sale without a diagnosis. */
  readonly cause: string;
  readonly responseCode: string;
  /** Who must act (the decline's responsible party); '' when approved. */
  readonly party: string;
  readonly verdict: string;
  readonly cardType: string;
  readonly brand: string;
  /** The payment's status now: approved, declined, reversed, voided or pending. */
  readonly outcome: string;
}

export interface RollupValues {
  payments: number;
  amountMinor: number;
  attempts: number;
  /** Attempts beyond the first (retries and failovers the gateway made). */
  extraAttempts: number;
  /** Approved after an earlier attempt of the same payment failed or was not answered (the gateway retried or failed over). */
  recovered: number;
  recoveredMinor: number;
  /** Attempts went to more than one channel. */
  failovers: number;
  /** Failed and not followed by an approved sale of the same card, amount and terminal within the rescue window. */
  lost: number;
  lostMinor: number;
  /** Entry mode `fallback` (chip failed, magstripe read). */
  fallbacks: number;
  latencyCount: number;
  latencySumMs: number;
  /** Attempt latencies per bucket of latencyBucketBoundsMs. */
  latencyBuckets: number[];
}

/** What one payment adds to the rollup, remembered per payment so a re-projection can take it back. */
export interface RollupContribution {
  readonly key: RollupKey;
  readonly values: RollupValues;
  /** An approved sale of the same card, amount and terminal followed within the window: not lost. */
  readonly rescued: boolean;
}

/** What tells whether an approval rescued a failure (same card, amount, terminal, soon after). */
export interface RescueFacts {
  readonly panFingerprint: string;
  readonly amountMinor: number;
  readonly terminalId: string | null;
  readonly createdAtMs: number;
  readonly status: string;
}
