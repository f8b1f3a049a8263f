// GET /v1/analytics/today, /failures, /terminals and /channels (docs/analytics.md): failure analytics
// for the console and integrators, read from the hourly rollup (never by scanning payments). Scoped like
// GET /v1/payments: a merchant-bound caller sees its own merchant only; naming another merchant gives an
// empty answer, as the payment list does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { assertBusinessDate, businessDateOf } from '../../../core/fees/business-date.ts';
import { analyticsIntervals, dateRange, groupsDefault, groupsMax, rangeDaysMax, type AnalyticsInterval, type AnalyticsRange } from '../../../core/analytics/analytics-range.ts';
import { breakdownBys, failureBreakdownCsv, type BreakdownBy, type FailureBreakdown } from '../../../core/analytics/failure-breakdown-view.ts';
import { articleCauses } from '../../../core/analytics/rollup.ts';
import { merchantsOf, type ApiAuth } from '../auth.ts';
import { paymentMerchantScope } from './payment-filter.ts';
import { problemSchema } from '../problem.ts';
import type { ManagementMonitoring } from './management-routes.ts';

/** The scope a request may see (the principal's merchants; `none` when it named a merchant it does not see). */
export interface AnalyticsRequestScope {
  merchantId?: string;
  merchantIds?: readonly string[];
  none?: boolean;
}

/** The analytics use cases (src/app/analytics/), bound to store, clock and time zone by the composition root. */
export interface AnalyticsUseCases {
  readonly timeZone: string;
  today(scope: AnalyticsRequestScope, query: { date?: string; worstMinimum?: number }): Promise<object>;
  failures(
    scope: AnalyticsRequestScope,
    query: { range: AnalyticsRange; by: BreakdownBy; interval: AnalyticsInterval; comparePrevious: boolean; groupsMax: number; terminalId?: string; channel?: string },
  ): Promise<FailureBreakdown>;
  terminals(scope: AnalyticsRequestScope, range: AnalyticsRange, limit: number): Promise<{ data: Array<{ terminalId: string }> }>;
  channels(scope: AnalyticsRequestScope, range: AnalyticsRange): Promise<{ data: Array<{ channel: string }> }>;
}

export interface AnalyticsRoutesOptions {
  auth: ApiAuth;
  analytics: AnalyticsUseCases;
  /** Live terminal stats and channel health joined to the terminal and channel rows (docs/monitoring.md). */
  monitoring?: ManagementMonitoring;
  nowMs: () => number;
}

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };
const datePattern = '^\\d{4}-\\d{2}-\\d{2}$';
const idText = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '^[\\x21-\\x7E]+$', description });
const bps = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description: `${description}, in basis points (10000 = 100 %); null without payments` });
const nullableInt = Type.Union([Type.Integer(), Type.Null()]);

const shareSchema = Type.Object({
  name: Type.String(),
  failures: Type.Integer(),
  failuresMinor: Type.Integer(),
  lost: Type.Integer(),
  lostMinor: Type.Integer(),
  shareBps: Type.Integer({ description: 'share of all failures, in basis points' }),
});
const countAmount = Type.Object({ count: Type.Integer(), amountMinor: Type.Integer() });
const worstSchema = Type.Object({ id: Type.String(), answered: Type.Integer(), failures: Type.Integer(), failureRateBps: bps('failures / answered') });

export const todaySchema = Type.Object({
  date: Type.String({ description: 'the local date (business time zone)' }),
  timeZone: Type.String(),
  merchantId: Type.Union([Type.String(), Type.Null()]),
  from: Type.String(),
  to: Type.String(),
  asOf: Type.String(),
  payments: Type.Integer({ description: 'sales and pre-authorizations of the day, any outcome' }),
  sales: countAmount,
  failures: countAmount,
  approvalRateBps: bps('approved / (approved + failed)'),
  failuresByArticleCause: Type.Array(shareSchema, { description: `always six entries in this order: ${articleCauses.join(', ')}` }),
  failuresByCause: Type.Array(shareSchema),
  failuresByParty: Type.Array(shareSchema, { description: 'who must act' }),
  failuresByVerdict: Type.Array(shareSchema),
  recovered: countAmount,
  lost: Type.Object({ count: Type.Integer(), amountMinor: Type.Integer(), windowMinutes: Type.Integer() }),
  trend: Type.Array(
    Type.Object({
      hour: Type.Integer(),
      start: Type.String(),
      sales: Type.Integer(),
      salesMinor: Type.Integer(),
      failures: Type.Integer(),
      approvalRateBps: bps('approval rate'),
      yesterday: Type.Object({ sales: Type.Integer(), salesMinor: Type.Integer(), failures: Type.Integer(), approvalRateBps: bps('approval rate') }),
    }),
  ),
  worst: Type.Object({ from: Type.String(), to: Type.String(), minimumAnswered: Type.Integer(), terminals: Type.Array(worstSchema), channels: Type.Array(worstSchema) }),
});

const figuresSchema = Type.Object({
  payments: Type.Integer(),
  sales: Type.Integer(),
  salesMinor: Type.Integer(),
  failures: Type.Integer(),
  failuresMinor: Type.Integer(),
  failureRateBps: bps('failed / (approved + failed)'),
  lost: Type.Integer(),
  lostMinor: Type.Integer(),
  recovered: Type.Integer(),
  recoveredMinor: Type.Integer(),
  extraAttempts: Type.Integer(),
});

export const failuresSchema = Type.Object({
  by: Type.String(),
  interval: Type.String(),
  timeZone: Type.String(),
  merchantId: Type.Union([Type.String(), Type.Null()]),
  from: Type.String(),
  to: Type.String(),
  buckets: Type.Array(Type.String(), { description: 'start of each bucket; every series has one entry per bucket' }),
  totals: figuresSchema,
  previous: Type.Optional(Type.Object({ from: Type.String(), to: Type.String(), totals: figuresSchema })),
  cost: Type.Object({ lost: Type.Integer(), lostMinor: Type.Integer(), extraAttempts: Type.Integer(), retryFeesMinor: Type.Integer() }),
  groups: Type.Array(
    Type.Object({
      key: Type.String({ description: "the group's value ('' = none: no terminal, no channel)" }),
      articleCause: Type.Optional(Type.String()),
      totals: figuresSchema,
      previous: Type.Optional(figuresSchema),
      series: Type.Array(figuresSchema),
      drillDown: Type.Object({ path: Type.String(), query: Type.String(), exact: Type.Boolean() }),
    }),
  ),
  groupsTotal: Type.Integer(),
  truncated: Type.Boolean(),
});

const liveSchema = Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: 'live monitoring of the running gateway' }));

export const terminalsSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  merchantId: Type.Union([Type.String(), Type.Null()]),
  data: Type.Array(
    Type.Object({
      terminalId: Type.String(),
      merchantId: Type.String(),
      state: Type.String(),
      signedOn: Type.Boolean(),
      lastSeenAt: Type.Union([Type.String(), Type.Null()]),
      payments: Type.Integer(),
      sales: Type.Integer(),
      salesMinor: Type.Integer(),
      failures: Type.Integer(),
      failureRateBps: bps('failure rate'),
      fallbacks: Type.Integer(),
      fallbackRateBps: bps('fallback (magstripe after chip) rate'),
      pending: Type.Integer({ description: 'payments pending now' }),
      stuck: Type.Integer({ description: 'payments pending for more than a minute' }),
      live: liveSchema,
    }),
  ),
  pendingTruncated: Type.Boolean(),
  truncated: Type.Boolean(),
});

export const channelsSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  merchantId: Type.Union([Type.String(), Type.Null()]),
  data: Type.Array(
    Type.Object({
      channel: Type.String(),
      payments: Type.Integer(),
      sales: Type.Integer(),
      salesMinor: Type.Integer(),
      failures: Type.Integer(),
      failureRateBps: bps('failure rate'),
      attempts: Type.Integer(),
      extraAttempts: Type.Integer(),
      failovers: Type.Integer(),
      recovered: Type.Integer(),
      latency: Type.Object({ count: Type.Integer(), meanMs: nullableInt, p50Ms: nullableInt, p95Ms: nullableInt, p99Ms: nullableInt }),
      live: liveSchema,
    }),
  ),
});

const scopeQuery = {
  merchantId: Type.Optional(idText(15, 'merchant id (a merchant-bound caller sees only its own)')),
};
const todayQuery = Type.Object(
  {
    date: Type.Optional(Type.String({ pattern: datePattern, description: 'YYYY-MM-DD in the business time zone; today when absent' })),
    worstMinimum: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'answered payments a terminal or channel needs in the last hour to be ranked (default 5)' })),
    ...scopeQuery,
  },
  { additionalProperties: false },
);
const rangeQuery = {
  from: Type.Optional(Type.String({ pattern: datePattern, description: 'first local date (YYYY-MM-DD); default: `to`' })),
  to: Type.Optional(Type.String({ pattern: datePattern, description: 'last local date, inclusive; default: today' })),
};
const failuresQuery = Type.Object(
  {
    ...rangeQuery,
    by: Type.Unsafe<BreakdownBy>({ type: 'string', enum: breakdownBys, default: 'cause' }),
    interval: Type.Unsafe<AnalyticsInterval>({ type: 'string', enum: [...analyticsIntervals], default: 'day' }),
    compare: Type.Optional(Type.Unsafe<'previous'>({ type: 'string', enum: ['previous'], description: 'also the previous period of the same length' })),
    groups: Type.Integer({ minimum: 1, maximum: groupsMax, default: groupsDefault, description: 'groups returned at most, largest by failures first' }),
    terminalId: Type.Optional(idText(8, 'only this terminal')),
    channel: Type.Optional(idText(64, 'only this channel')),
    format: Type.Optional(Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'], description: 'csv: UTF-8 with BOM (or send Accept: text/csv)' })),
    ...scopeQuery,
  },
  { additionalProperties: false },
);
const listQuery = Type.Object(
  {
    ...rangeQuery,
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
    ...scopeQuery,
  },
  { additionalProperties: false },
);

/** The payment list's scoping (payment-filter.ts): the caller's merchants narrowed by the one it names. */
function scopeOf(request: FastifyRequest, named: string | undefined): AnalyticsRequestScope {
  const scope = paymentMerchantScope(merchantsOf(request.principal), named);
  return scope === 'none' ? { none: true } : scope;
}

function rangeOf(query: { from?: string; to?: string }, today: string, timeZone: string, interval: AnalyticsInterval): AnalyticsRange {
  const to = query.to === undefined ? today : validDate(query.to, 'to');
  const from = query.from === undefined ? to : validDate(query.from, 'from');
  const range = dateRange(from, to, timeZone, interval);
  if ('error' in range) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'to', reason: range.error });
  return range;
}

function validDate(text: string, field: string): string {
  try {
    return assertBusinessDate(text, field);
  } catch {
    throw new ReswipeError('RSW_HTTP_VALIDATION', { field, reason: 'is not a real calendar date' });
  }
}

function wantsCsv(request: FastifyRequest, format: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

function route<T extends TSchema>(summary: string, querystring: TSchema, ok: T, extra: Record<string, unknown> = {}) {
  return {
    schema: { summary, tags: ['analytics'], security, querystring, response: { 200: ok, ...errors }, ...extra },
  };
}

export async function analyticsRoutes(app: FastifyInstance, options: AnalyticsRoutesOptions): Promise<void> {
  const { analytics } = options;
  // analytics:read (src/core/access/route-permissions.ts): payments:read for keys, and the roles that read analytics.
  app.addHook('onRequest', options.auth.guard);
  const today = () => businessDateOf(options.nowMs(), analytics.timeZone, '00:00');

  app.get<{ Querystring: Static<typeof todayQuery> }>(
    '/analytics/today',
    route('One local day at a glance: sales, approval rate, failures by cause and party, recovered and lost sales, trend by hour against yesterday, worst terminals and channels now', todayQuery, todaySchema),
    async (request) => {
      const query = request.query;
      const date = query.date === undefined ? undefined : validDate(query.date, 'date');
      return analytics.today(scopeOf(request, query.merchantId), { ...(date === undefined ? {} : { date }), ...(query.worstMinimum === undefined ? {} : { worstMinimum: query.worstMinimum }) });
    },
  );

  app.get<{ Querystring: Static<typeof failuresQuery> }>(
    '/analytics/failures',
    route(
      `Failures over a range grouped by one dimension: totals, a series per interval (at most ${rangeDaysMax.hour} days by hour, ${rangeDaysMax.day} by day, ${rangeDaysMax.week} by week), the previous period with compare=previous, and a GET /v1/payments query per group; CSV with format=csv or Accept: text/csv`,
      failuresQuery,
      failuresSchema,
      { produces: ['application/json', 'text/csv'] },
    ),
    async (request, reply: FastifyReply) => {
      const query = request.query;
      const report = await analytics.failures(scopeOf(request, query.merchantId), {
        range: rangeOf(query, today(), analytics.timeZone, query.interval),
        by: query.by,
        interval: query.interval,
        comparePrevious: query.compare === 'previous',
        groupsMax: query.groups,
        ...(query.terminalId === undefined ? {} : { terminalId: query.terminalId }),
        ...(query.channel === undefined ? {} : { channel: query.channel }),
      });
      if (!wantsCsv(request, query.format)) return report;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="failures-by-${report.by}-${report.from.slice(0, 10)}.csv"`)
        .send(failureBreakdownCsv(report));
    },
  );

  app.get<{ Querystring: Static<typeof listQuery> }>(
    '/analytics/terminals',
    route('Per terminal: last seen, signed on, sales, failure and fallback rates over the range, payments pending and stuck now', listQuery, terminalsSchema),
    async (request) => {
      const query = request.query;
      const report = await analytics.terminals(scopeOf(request, query.merchantId), rangeOf(query, today(), analytics.timeZone, 'day'), query.limit);
      const monitoring = options.monitoring;
      if (monitoring === undefined) return report;
      return { ...report, data: report.data.map((row) => ({ ...row, live: monitoring.terminalCached(row.terminalId) })) };
    },
  );

  app.get<{ Querystring: Static<typeof listQuery> }>(
    '/analytics/channels',
    route('Per channel: sales, failure rate, attempts, failovers and attempt latency percentiles (p50, p95, p99) over the range', listQuery, channelsSchema),
    async (request) => {
      const query = request.query;
      const report = await analytics.channels(scopeOf(request, query.merchantId), rangeOf(query, today(), analytics.timeZone, 'day'));
      const monitoring = options.monitoring;
      // Live channel health is the gateway's, not a merchant's: only an unscoped (admin) caller sees it.
      if (monitoring === undefined || merchantsOf(request.principal) !== null) return report;
      return { ...report, data: report.data.map((row) => ({ ...row, live: monitoring.channel(row.channel) })) };
    },
  );
}
