// What a merchant reads about its own money (docs/http-api.md "Merchant self-service"): settlement
// batches, statements (machine CSV, the Chinese layout, the monthly HTML page), payouts and fee
// lines. A key needs `settlements:read` and is bound to one merchant: naming another merchant in the
// path is refused (403 RSW_AUTH_MERCHANT_SCOPE) and a payout of another merchant is not found (404).
// Admin keys read every merchant. Nothing here changes anything.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { toPayoutAccountView } from '../../../core/payouts/payout-account.ts';
import type { PayoutUseCases } from '../../../core/ports/payout-use-cases.ts';
import type { StatementUseCases } from '../../../core/ports/statement-use-cases.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { addDays, assertBusinessDate } from '../../../core/fees/business-date.ts';
import type { PayoutQuery, Store } from '../../../core/ports/store.ts';
import { monthlyStatementCsp, renderMonthlyStatementHtml } from '../../../core/statements/monthly-statement.ts';
import type { Clock } from '../../../core/time/clock.ts';
import type { LoggerLike } from '../../../core/ports/channel.ts';
import { auditAfter } from '../audit-trail.ts';
import { requireMerchantVisible, type ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';
import { payoutListQuery, payoutQueryOf, payoutView } from './payout-routes.ts';

export interface MerchantSelfServiceOptions {
  store: Store;
  auth: ApiAuth;
  logger: LoggerLike;
  clock: Clock;
  timeZone: string;
  cutoff: string;
  /** Payout reads (src/app/payouts, bound to the same store). */
  payouts: PayoutUseCases;
  /** Monthly statements and day statement CSVs (src/app/statements, src/app/fees). */
  statements: StatementUseCases;
}

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const datePattern = '^\\d{4}-\\d{2}-\\d{2}$';
const merchantIdPattern = '^[A-Za-z0-9_.-]{1,64}$';
/** The longest period one list of batches or fee lines may cover. */
export const selfServicePeriodDaysMax = 93;

const merchantParams = Type.Object({ id: Type.String({ pattern: merchantIdPattern }) });
const periodQuery = Type.Object(
  { date: Type.Optional(Type.String({ pattern: datePattern })), from: Type.Optional(Type.String({ pattern: datePattern })), to: Type.Optional(Type.String({ pattern: datePattern })) },
  { additionalProperties: false },
);

const batchView = Type.Object({
  id: Type.String(),
  merchantId: Type.String(),
  businessDate: Type.String(),
  grossMinor: Type.Integer(),
  refundsMinor: Type.Integer(),
  feesMinor: Type.Integer(),
  netMinor: Type.Integer(),
  payoutDate: Type.String(),
  settleMode: Type.String(),
  state: Type.String(),
  createdAt: Type.String(),
});

const feeLineView = Type.Object({
  id: Type.String(),
  paymentId: Type.String(),
  kind: Type.String(),
  method: Type.String(),
  plan: Type.String(),
  rule: Type.String(),
  amountMinor: Type.Integer(),
  feeMinor: Type.Integer(),
  rateBps: Type.Integer(),
  businessDate: Type.String(),
  createdAt: Type.String(),
});

/** A bounded period from `date`, or `from` and `to` (both required), at most selfServicePeriodDaysMax days. */
function periodOf(query: { date?: string; from?: string; to?: string }): { fromDate: string; toDate: string } {
  if (query.date !== undefined) {
    const date = assertBusinessDate(query.date, 'date');
    return { fromDate: date, toDate: date };
  }
  if (query.from === undefined || query.to === undefined) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: query.from === undefined ? 'from' : 'to', reason: 'give date, or from and to' });
  const fromDate = assertBusinessDate(query.from, 'from');
  const toDate = assertBusinessDate(query.to, 'to');
  if (toDate < fromDate) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'to', reason: 'must not be before from' });
  if (addDays(fromDate, selfServicePeriodDaysMax - 1) < toDate) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'to', reason: `the period is at most ${selfServicePeriodDaysMax} days` });
  return { fromDate, toDate };
}

export async function merchantSelfServiceRoutes(app: FastifyInstance, options: MerchantSelfServiceOptions): Promise<void> {
  const { store, clock, timeZone, cutoff } = options;
  app.addHook('onRequest', async (request, reply) => {
    await options.auth.guard(request, reply);
    requireMerchantVisible(request.principal, (request.params as { id?: string }).id, 'id');
  });
  // Statement downloads are audited like `settle export` and the admin statement route: who took which day's books.
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url ?? '';
    if (reply.statusCode >= 300 || !route.includes('/statements/')) return payload;
    const params = request.params as { id?: string; date?: string };
    const query = request.query as { layout?: string; month?: string; format?: string };
    const detail = route.endsWith('/monthly') ? { month: query.month, format: query.format } : { date: params.date, layout: query.layout };
    await auditAfter({ store, logger: options.logger }, request, 'settlement.export', params.id ?? null, detail, clock.nowMs());
    return payload;
  });

  app.get<{ Params: { id: string }; Querystring: { date?: string; from?: string; to?: string } }>(
    '/merchants/:id/settlements',
    {
      schema: {
        summary: "A merchant's settlement batches for a period (its own key, or admin)",
        tags: ['merchant self-service'],
        security,
        params: merchantParams,
        querystring: periodQuery,
        response: { 200: Type.Object({ data: Type.Array(batchView) }), ...errors },
      },
    },
    async (request) => {
      const batches = await store.listSettlementBatches({ merchantId: request.params.id, ...periodOf(request.query) });
      return { data: batches.map((batch) => ({ ...batch, createdAt: new Date(batch.createdAtMs).toISOString() })) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { month: string; format: 'html' | 'json' } }>(
    '/merchants/:id/statements/monthly',
    {
      schema: {
        summary: 'The monthly statement (月结单): printable, self-contained HTML, or JSON',
        tags: ['merchant self-service'],
        security,
        params: merchantParams,
        querystring: Type.Object(
          { month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' }), format: Type.Union([Type.Literal('html'), Type.Literal('json')], { default: 'html' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Unknown({ description: 'text/html, or the statement as JSON' }), ...errors },
      },
    },
    async (request, reply) => {
      const statement = await options.statements.monthly(request.params.id, request.query.month, timeZone, clock.nowMs());
      if (request.query.format === 'json') return reply.type('application/json').send(JSON.stringify(statement));
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', monthlyStatementCsp())
        .header('content-disposition', `inline; filename="statement-${request.params.id}-${request.query.month}.html"`)
        .send(renderMonthlyStatementHtml(statement));
    },
  );

  app.get<{ Params: { id: string; date: string }; Querystring: { layout: 'machine' | 'zh' } }>(
    '/merchants/:id/statements/:date',
    {
      schema: {
        summary: 'The statement (对账单) CSV of a business date: machine layout, or `layout=zh` with Chinese headers and yuan amounts',
        tags: ['merchant self-service'],
        security,
        params: Type.Object({ id: Type.String({ pattern: merchantIdPattern }), date: Type.String({ pattern: datePattern }) }),
        querystring: Type.Object({ layout: Type.Union([Type.Literal('machine'), Type.Literal('zh')], { default: 'machine' }) }, { additionalProperties: false }),
        response: { 200: Type.String({ description: 'text/csv' }), ...errors, 409: problemSchema },
      },
    },
    async (request, reply) => {
      const { id, date } = request.params;
      const businessDate = assertBusinessDate(date, 'date');
      const zh = request.query.layout === 'zh';
      const csv = await options.statements.exportDay(id, businessDate, zh ? 'zh' : 'machine', { timeZone, cutoff });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statement-${id}-${date}${zh ? '-zh' : ''}.csv"`)
        .send(csv);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { state?: PayoutQuery['state']; date?: string; from?: string; to?: string } }>(
    '/merchants/:id/payouts',
    {
      schema: {
        summary: "A merchant's payouts: state, expected and actual arrival, failure reason",
        tags: ['merchant self-service'],
        security,
        params: merchantParams,
        querystring: payoutListQuery,
        response: { 200: Type.Object({ data: Type.Array(payoutView) }), ...errors },
      },
    },
    async (request) => ({ data: await options.payouts.list({ ...payoutQueryOf(request.query), merchantId: request.params.id }, timeZone) }),
  );

  app.get<{ Params: { id: string; payoutId: string } }>(
    '/merchants/:id/payouts/:payoutId',
    {
      schema: {
        summary: "One of a merchant's payouts (404 for another merchant's)",
        tags: ['merchant self-service'],
        security,
        params: Type.Object({ id: Type.String({ pattern: merchantIdPattern }), payoutId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' }) }),
        response: { 200: payoutView, ...errors },
      },
    },
    async (request) => options.payouts.show(request.params.payoutId, timeZone, request.params.id),
  );

  app.get<{ Params: { id: string }; Querystring: { date?: string; from?: string; to?: string } }>(
    '/merchants/:id/fee-lines',
    {
      schema: {
        summary: "A merchant's fee lines for a period (business dates)",
        tags: ['merchant self-service'],
        security,
        params: merchantParams,
        querystring: periodQuery,
        response: { 200: Type.Object({ data: Type.Array(feeLineView) }), ...errors },
      },
    },
    async (request) => {
      const lines = await store.listFeeLines({ merchantId: request.params.id, ...periodOf(request.query) });
      return { data: lines.map((line) => ({ ...line, createdAt: new Date(line.createdAtMs).toISOString() })) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/merchants/:id/payout-account',
    {
      schema: {
        summary: "The merchant's payout account, number masked",
        tags: ['merchant self-service'],
        security,
        params: merchantParams,
        response: { 200: Type.Object({ merchantId: Type.String(), bankCode: Type.String(), accountName: Type.String(), accountNumberMasked: Type.String(), updatedAt: Type.String() }), ...errors },
      },
    },
    async (request) => {
      const account = await store.getPayoutAccount(request.params.id);
      if (account === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'payout account of merchant', id: request.params.id, field: 'id' });
      return toPayoutAccountView(account);
    },
  );
}
