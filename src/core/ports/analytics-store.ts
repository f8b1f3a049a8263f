// The part of the store port the analytics rollup needs (migration 0020, docs/analytics.md): the hourly
// rollup rows, what each payment contributed to them, and the batched reads the analytics projector
// makes per journal batch. StoreTx and StoreReader extend these, so both adapters implement them.
import type { RollupContribution, RollupKey, RollupValues, RescueFacts } from '../analytics/rollup-model.ts';

/** Dimensions a rollup sum may be grouped by; `bucket` is the time bucket (see RollupSumQuery). */
export const rollupDimensions = ['merchant', 'terminal', 'channel', 'cause', 'responseCode', 'party', 'verdict', 'cardType', 'brand', 'outcome'] as const;
export type RollupDimension = (typeof rollupDimensions)[number];

export interface RollupSumQuery {
  /** Hours [fromHourMs, toHourMs). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly merchantId?: string;
  /** Only these merchants (at most 1000). */
  readonly merchantIds?: readonly string[];
  readonly terminalId?: string;
  readonly channel?: string;
  /** Only rows whose `dimension` is one of `values` (at most 1000). */
  readonly only?: { readonly dimension: RollupDimension; readonly values: readonly string[] };
  readonly groupBy: readonly RollupDimension[];
  /** When set, rows are also grouped by time bucket: floor((hour - originMs) / bucketMs). */
  readonly bucket?: { readonly originMs: number; readonly bucketMs: number };
  /**
   * The range (and the buckets, if any) start at local midnights of the business time zone and the
   * bucket is a whole number of days: the daily level may answer (docs/analytics.md, "The rollup").
   */
  readonly dayAligned?: boolean;
  /** At most this many rows; the read fails beyond it (the caller bounds groups and buckets first). */
  readonly rowsMax: number;
}

export interface RollupSumRow {
  /** The grouped dimensions' values ('' stands for none). */
  readonly group: Readonly<Partial<Record<RollupDimension, string>>>;
  /** The time bucket's index, when the query asked for buckets. */
  readonly bucket?: number;
  readonly values: RollupValues;
}

export interface RescuePeer extends RescueFacts {
  readonly id: string;
  readonly kind: string;
}

export interface AnalyticsStoreReader {
  /** Sums of the rollup rows in a range, grouped. */
  sumRollup(query: RollupSumQuery): Promise<RollupSumRow[]>;
  /** The contributions recorded for these payments (absent: never rolled up). At most 1000 ids. */
  getRollupContributions(paymentIds: readonly string[]): Promise<Map<string, RollupContribution>>;
  /**
   * Payments of the same card, amount and terminal as one of `cards` created in [fromMs, toMs]: the
   * candidates for "a failure followed by an approval" (payments_reswipe_idx). At most `limit` rows.
   */
  findRescuePeers(cards: ReadonlyArray<{ panFingerprint: string; amountMinor: number; terminalId: string | null }>, fromMs: number, toMs: number, limit: number): Promise<RescuePeer[]>;
}

export interface AnalyticsStoreTx {
  /** Adds each delta to its rollup row (creating it at zero first). */
  addRollupDeltas(rows: ReadonlyArray<{ key: RollupKey; values: RollupValues }>): Promise<void>;
  /** Records (replaces) what each payment contributes now. */
  putRollupContributions(entries: ReadonlyArray<{ paymentId: string; contribution: RollupContribution }>, atMs: number): Promise<void>;
  /** Empties the rollup and the contributions (a rebuild starts from the journal's start). */
  clearRollup(): Promise<void>;
}
