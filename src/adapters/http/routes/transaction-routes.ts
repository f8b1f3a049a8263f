// The transaction set over HTTP: POST /v1/payments/{id}/void, /refunds, /capture and /cancel (each
// with an Idempotency-Key), and GET /v1/payments.csv streaming the same filters as GET /v1/payments.
// The follow-ups (FollowUpUseCases) decide; this file turns HTTP into a FollowUpRequest and the result back into
// HTTP. A refusal ("batch already settled: refund instead") is a problem object with its stable
// RSW_TXN_* code and the reason; an answered follow-up (approved, declined or pending) is a 201.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { FollowUpOperation } from '../../../core/payments/follow-up-request.ts';
import type { FollowUpRequest, FollowUpResult } from '../../../core/ports/payments.ts';
import { requestHashOf } from '../../../core/payments/request-hash.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import type { PaymentQuery, PaymentRecord, Store } from '../../../core/ports/store.ts';
import { causeCategories, paymentStatuses, type PaymentStatus } from '../../../core/vocabulary.ts';
import { merchantsOf, seesMerchant, type ApiAuth } from '../auth.ts';
import { auditAfter } from '../audit-trail.ts';
import type { LoggerLike } from '../../../core/ports/channel.ts';
import { problemOf, problemOfError, problemSchema, sendProblem } from '../problem.ts';
import { idempotencyKeyCharsMax, paymentViewSchema } from './payment-routes.ts';
import { paymentFilterOf, paymentMerchantScope } from './payment-filter.ts';

/** What the routes need of the transaction set. */
export interface TransactionRoutesEngine {
  followUp(request: FollowUpRequest): Promise<FollowUpResult>;
}

export interface TransactionRoutesOptions {
  transactions: TransactionRoutesEngine;
  store: Pick<Store, 'listPayments' | 'getPayment' | 'write'>;
  auth: ApiAuth;
  nowMs: () => number;
  logger: LoggerLike;
  onAnswered?: (status: PaymentStatus) => void;
}

/** Most rows one CSV export streams; narrow the filter (time range) for more. */
export const csvRowsMax = 1_000_000;
const csvPageRows = 500;

const enumOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });
const isoInstantPattern = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$';

const followUpBodySchema = Type.Object(
  {
    amountMinor: Type.Optional(Type.Integer({ minimum: 1, maximum: 999_999_999_999, description: 'minor units; the full original amount when omitted (required for refunds)' })),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x20-\\x7E]+$' })),
  },
  { additionalProperties: false },
);
type FollowUpBody = Static<typeof followUpBodySchema>;

const refundBodySchema = Type.Object(
  {
    amountMinor: Type.Integer({ minimum: 1, maximum: 999_999_999_999, description: 'minor units to give back; all refunds together never exceed the original' }),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x20-\\x7E]+$' })),
  },
  { additionalProperties: false },
);

// A follow-up answers with the same payment view as GET /v1/payments/{id} (it carries kind and originalPaymentId).
const followUpViewSchema = paymentViewSchema;
const idempotencyHeaders = Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: idempotencyKeyCharsMax }) });
const idParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const security = [{ bearerAuth: [] }];
const responses = { 200: followUpViewSchema, 201: followUpViewSchema, 400: problemSchema, 401: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };

const csvQuerySchema = Type.Object(
  {
    from: Type.Optional(Type.String({ pattern: isoInstantPattern })),
    to: Type.Optional(Type.String({ pattern: isoInstantPattern })),
    status: Type.Optional(enumOf(paymentStatuses)),
    merchantId: Type.Optional(Type.String({ minLength: 1, maxLength: 15 })),
    terminalId: Type.Optional(Type.String({ minLength: 1, maxLength: 8 })),
    responseCode: Type.Optional(Type.String({ pattern: '^[0-9A-Z]{2}$' })),
    category: Type.Optional(enumOf(causeCategories)),
    last4: Type.Optional(Type.String({ pattern: '^[0-9]{4}$' })),
    rrn: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{1,12}$' })),
    stan: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x20-\\x7E]+$' })),
    batch: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
  },
  { additionalProperties: false },
);
type CsvQuery = Static<typeof csvQuerySchema>;

/** Which follow-up a route means for an original of a given kind. */
function operationFor(route: 'void' | 'refunds' | 'capture' | 'cancel', originalKind: PaymentRecord['kind'] | null): FollowUpOperation {
  switch (route) {
    case 'void':
      return originalKind === 'completion' ? 'completion_void' : 'void';
    case 'refunds':
      return 'refund';
    case 'capture':
      return 'completion';
    case 'cancel':
      return 'preauth_cancel';
  }
}

export async function transactionRoutes(app: FastifyInstance, options: TransactionRoutesOptions): Promise<void> {
  app.addHook('onRequest', options.auth.guard);
  // The follow-up happened in the engine's own write; its audit record follows in a write of its own
  // (if that fails the answer still tells the truth about the money, and the log says what is missing).
  const audit = (request: FastifyRequest, action: string, subjectId: string | null, detail: Record<string, unknown>) => auditAfter(options, request, action, subjectId, detail, options.nowMs());

  // What each route needs is in src/core/access/route-permissions.ts: money going back (void, refund,
  // cancel) is payments:refund (key scope refunds:write); capturing a hold is payments:capture (payments:write).
  const routes: Array<{ route: 'void' | 'refunds' | 'capture' | 'cancel'; summary: string; body: typeof followUpBodySchema | typeof refundBodySchema }> = [
    { route: 'void', summary: 'Void a sale (or a pre-authorization completion): same business day, open batch, full amount; otherwise refund', body: followUpBodySchema },
    { route: 'refunds', summary: 'Refund part or all of a sale or completion, any later day, as often as needed up to the original (a 0220 advice)', body: refundBodySchema },
    { route: 'capture', summary: 'Complete a pre-authorization, up to the authorized amount plus the configured tolerance', body: followUpBodySchema },
    { route: 'cancel', summary: 'Cancel a pre-authorization and release its hold (full amount)', body: followUpBodySchema },
  ];
  for (const { route, summary, body } of routes) {
    app.post<{ Params: { id: string }; Body: FollowUpBody; Headers: Static<typeof idempotencyHeaders> }>(
      `/payments/:id/${route}`,
      {
        schema: {
          summary,
          description: 'Refused follow-ups answer a problem object naming why (code RSW_TXN_*). The same Idempotency-Key with the same body replays the first answer; another body is 422.',
          tags: ['payments'],
          security,
          params: idParams,
          headers: idempotencyHeaders,
          body,
          response: responses,
        },
      },
      async (request, reply) => {
        const original = await options.store.getPayment(request.params.id);
        // Another merchant's payment is answered exactly like a missing one.
        if (original === null || !seesMerchant(request.principal, original.merchantId)) {
          throw new ReswipeError('RSW_TXN_ORIGINAL_NOT_FOUND', { originalId: request.params.id, field: 'id' });
        }
        const operation = operationFor(route, original.kind);
        const amountMinor = request.body.amountMinor ?? null;
        const reference = request.body.reference ?? null;
        const key = request.headers['idempotency-key'];
        const result = await options.transactions.followUp({
          operation,
          intake: 'http',
          merchantId: original.merchantId,
          originalPaymentId: original.id,
          terminalId: null,
          amountMinor,
          currency: null,
          reference,
          idempotency: { scope: `http:${original.merchantId}`, key, requestHash: requestHashOf({ operation, originalPaymentId: original.id, amountMinor, reference }) },
        });
        switch (result.kind) {
          case 'completed':
            options.onAnswered?.(result.view.status);
            await audit(request, `payment.${operation}`, result.view.id, {
              originalPaymentId: original.id,
              merchantId: original.merchantId,
              amountMinor: result.view.amountMinor,
              status: result.view.status,
            });
            return reply.code(201).send(result.view);
          case 'replayed':
            return reply.code(result.responseStatus ?? 201).send(parseStored(result.responseBody) ?? result.view);
          case 'refused':
            return sendProblem(reply, problemOf(result.refusal.httpStatus, result.refusal.code, result.refusal.reason, { reason: result.refusal.reason }));
          case 'in_progress':
            return sendProblem(reply, problemOfError(new ReswipeError('RSW_IDEMPOTENCY_IN_PROGRESS', { field: 'idempotency-key' })));
          case 'idempotency_mismatch':
            return sendProblem(reply, problemOfError(new ReswipeError('RSW_IDEMPOTENCY_MISMATCH', { field: 'idempotency-key' })));
        }
      },
    );
  }

  app.get<{ Querystring: CsvQuery }>(
    '/payments.csv',
    {
      schema: {
        summary: 'The payments of GET /v1/payments (same filters, newest first) as CSV, streamed page by page',
        tags: ['payments'],
        security,
        querystring: csvQuerySchema,
        produces: ['text/csv'],
        response: { 400: problemSchema, 401: problemSchema },
      },
    },
    async (request, reply) => {
      const query = request.query;
      const scope = paymentMerchantScope(merchantsOf(request.principal), query.merchantId);
      const otherMerchant = scope === 'none';
      const merchantId = otherMerchant ? query.merchantId : (scope.merchantId ?? scope.merchantIds?.join(','));
      const base: PaymentQuery = {
        limit: csvPageRows,
        ...paymentFilterOf(query, otherMerchant ? {} : scope),
      };
      const store = options.store;
      await audit(request, 'payment.export', null, { format: 'csv', filter: { ...query, ...(merchantId === undefined ? {} : { merchantId }) } });
      async function* rows(): AsyncGenerator<string> {
        yield `${csvColumns.join(',')}\n`;
        if (otherMerchant) return;
        let cursor: string | undefined;
        let written = 0;
        while (written < csvRowsMax) {
          const page = await store.listPayments({ ...base, ...(cursor === undefined ? {} : { cursor }) });
          let chunk = '';
          for (const payment of page.data) chunk += `${csvRowOf(payment)}\n`;
          written += page.data.length;
          if (chunk !== '') yield chunk;
          if (page.nextCursor === null) return;
          cursor = page.nextCursor;
        }
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="payments.csv"')
        .send(Readable.from(rows()));
    },
  );
}

/** Fixed CSV columns; the card appears only masked. */
export const csvColumns = [
  'id',
  'createdAt',
  'kind',
  'status',
  'merchantId',
  'terminalId',
  'amountMinor',
  'currency',
  'cardMasked',
  'cardBrand',
  'cardType',
  'responseCode',
  'authCode',
  'rrn',
  'terminalStan',
  'category',
  'verdict',
  'originalPaymentId',
  'reference',
] as const;

export function csvRowOf(payment: PaymentRecord): string {
  const values: Array<string | number | null> = [
    payment.id,
    new Date(payment.createdAtMs).toISOString(),
    payment.kind,
    payment.status,
    payment.merchantId,
    payment.terminalId,
    payment.amountMinor,
    payment.currency,
    payment.panMasked,
    payment.cardBrand,
    payment.cardType,
    payment.responseCode,
    payment.authCode,
    payment.rrn,
    payment.terminalStan,
    payment.status === 'approved' ? 'approved' : (payment.decline?.category ?? null),
    payment.status === 'approved' ? 'none' : (payment.decline?.verdict ?? null),
    payment.originalPaymentId,
    payment.reference,
  ];
  return values.map(csvCell).join(',');
}

/** RFC 4180 quoting, and a leading quote before = + - @ so a spreadsheet never runs a cell as a formula. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function parseStored(body: string | null): unknown {
  if (body === null) return null;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return null;
  }
}
