// What every analytics read shares: the store, the clock, the business time zone, and the scope the
// caller may see (a merchant-bound caller sees its merchant only; `none` when it named another).
import type { StoreReader } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';

export interface AnalyticsDeps {
  readonly store: StoreReader;
  readonly clock: Clock;
  /** The business time zone (config fees.settlementTimeZone): dates and hours of the day are local to it. */
  readonly timeZone: string;
}

export interface AnalyticsScope {
  /** Only this merchant's payments; absent (and no merchantIds): every merchant (admin). */
  readonly merchantId?: string;
  /** Only these merchants' (a console user bound to several merchants). */
  readonly merchantIds?: readonly string[];
  /** The caller named a merchant it may not see: the answer is empty (as GET /v1/payments answers). */
  readonly none?: boolean;
}

/** Rows read per rollup sum at most: far above any bounded query's need, a guard against a runaway one. */
export const rollupRowsMax = 500_000;

/** The store filter of a scope: one merchant, several, or none (every merchant). */
export function merchantFilterOf(scope: AnalyticsScope): { merchantId?: string; merchantIds?: readonly string[] } {
  if (scope.merchantId !== undefined) return { merchantId: scope.merchantId };
  return scope.merchantIds === undefined ? {} : { merchantIds: scope.merchantIds };
}
