// POST /v1/payments, GET /v1/payments/{id} and GET /v1/payments (docs/contracts/http-api.md). A sale goes
// through the same sale use cases as a terminal's 0200; this file only turns HTTP into a
// SaleRequest and the engine's SaleResult back into HTTP. Duplicate detection is the engine's: the
// scope is `http:<merchantId>`, the key the Idempotency-Key header, and the request hash covers the
// canonical body with the card number replaced by its keyed fingerprint and the CVV left out, so
// neither the hash nor anything else kept holds card data.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { SaleRequest, SaleResult } from '../../../core/ports/payments.ts';
import { requestHashOf } from '../../../core/payments/request-hash.ts';
import { CardNumber, fingerprintPan } from '../../../core/cards/pan.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { paymentKinds, type PaymentView } from '../../../core/payments/payment-view.ts';
import type { PaymentQuery, Page } from '../../../core/ports/store.ts';
import { qrMethods, type QrMethod } from '../../../core/ports/qr-channel.ts';
import type { QrSaleUseCases } from '../../../core/ports/qr-payments.ts';
import { authCodeProblem } from '../../../core/qr/auth-code.ts';
import {
  attemptOutcomes,
  cardBrands,
  cardTypes,
  cardEntryModes,
  causeCategories,
  paymentStatuses,
  responsibleParties,
  retryVerdicts,
  type PaymentStatus,
} from '../../../core/vocabulary.ts';
import { merchantsOf, seesMerchant, type ApiAuth } from '../auth.ts';
import { paymentFilterOf, paymentMerchantScope } from './payment-filter.ts';
import { problemSchema, sendProblem, problemOfError } from '../problem.ts';

/** What the routes need of the engine; the real Payments (src/app/payments) or a wrapper that records metrics. */
export interface PaymentEngine {
  authorize(request: SaleRequest): Promise<SaleResult>;
  getPayment(id: string, scope?: { merchantId?: string }): Promise<PaymentView | null>;
  listPayments(query: PaymentQuery): Promise<Page<PaymentView>>;
  /** A payment's voids, refunds, completions and cancels, oldest first (at most `limit`); null when it is not there or not the scope's. Absent: no follow-ups route. */
  listFollowUps?(id: string, scope: { merchantId?: string }, limit: number): Promise<PaymentView[] | null>;
  readonly settings: { readonly panKey: string; readonly panKeysRetired?: ReadonlyArray<{ readonly key: string }> };
}

export interface PaymentRoutesOptions {
  engine: PaymentEngine;
  /** WeChat Pay and Alipay sales; absent: a body with `method` wechat or alipay is refused (400, field `method`). UnionPay QR goes to the engine (the host link). */
  qrPayments?: QrSaleUseCases;
  auth: ApiAuth;
  /** Called with the status of every sale answered for the first time (not replays). */
  onPaymentAnswered?: (status: PaymentStatus) => void;
}

export const listLimitDefault = 50;
export const listLimitMax = 500;
export const idempotencyKeyCharsMax = 255;

const enumOf = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) });
const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const printable = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '^[\\x20-\\x7E]+$', description });
const isoInstantPattern = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$';

export const paymentRequestSchema = Type.Object(
  {
    merchantId: Type.Optional(printable(15, 'DE 42 merchant id; optional with a merchant key (defaults to its merchant), required with an admin key')),
    terminalId: Type.Optional(printable(8, 'DE 41 terminal id; omitted for a card-not-present HTTP sale')),
    amountMinor: Type.Integer({ minimum: 1, maximum: 999_999_999_999, description: 'amount in minor units (fen for CNY)' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 alphabetic code, e.g. CNY' }),
    card: Type.Optional(
      Type.Object(
        {
          number: Type.String({ pattern: '^[0-9]{12,19}$', description: 'the PAN; never stored, logged or echoed' }),
          expiry: Type.Optional(Type.String({ pattern: '^[0-9]{2}(0[1-9]|1[0-2])$', description: 'YYMM' })),
          cvv: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$', description: 'never stored' })),
          entryMode: enumOf(cardEntryModes),
        },
        { additionalProperties: false, description: 'a card sale; exactly one of card or method + authCode' },
      ),
    ),
    method: Type.Optional(enumOf(qrMethods, 'a QR sale (付款码): wechat, alipay or unionpay-qr, with authCode instead of card')),
    authCode: Type.Optional(
      Type.String({
        pattern: '^[0-9]{16,24}$',
        description: 'the scanned payment code: WeChat 18 digits starting 10-15, Alipay 16-24 digits starting 25-30, UnionPay QR 19 digits starting 62; sent once, stored only masked',
      }),
    ),
    capture: Type.Boolean({ default: true, description: 'false asks for a pre-authorization (0100)' }),
    reference: Type.Optional(printable(64, "the merchant's own order reference")),
  },
  { additionalProperties: false },
);
export type PaymentRequestBody = Static<typeof paymentRequestSchema>;

const bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

export const paymentViewSchema = Type.Object(
  {
    id: Type.String(),
    kind: enumOf(paymentKinds, 'sale, preauth, completion, void, refund, preauth_cancel, completion_void or balance_inquiry'),
    status: enumOf(paymentStatuses),
    amountMinor: Type.Integer(),
    currency: Type.String(),
    merchantId: Type.String(),
    terminalId: nullable(Type.String()),
    card: Type.Object({ masked: Type.String(), brand: enumOf(cardBrands), type: enumOf(cardTypes), issuer: nullable(Type.String()) }),
    responseCode: nullable(Type.String()),
    authCode: nullable(Type.String()),
    rrn: nullable(Type.String()),
    decline: Type.Union([
      Type.Object({
        code: Type.String(),
        category: enumOf(causeCategories),
        party: enumOf(responsibleParties),
        verdict: enumOf(retryVerdicts),
        waitSeconds: Type.Union([Type.Integer(), Type.Null()]),
        advice: Type.Object({ cashier: bilingual, customer: bilingual }),
      }),
      Type.Null(),
    ]),
    attempts: Type.Array(
      Type.Object({
        channel: Type.String(),
        stan: Type.String(),
        outcome: enumOf(attemptOutcomes),
        responseCode: nullable(Type.String()),
        latencyMs: Type.Union([Type.Integer(), Type.Null()]),
        sentAt: nullable(Type.String()),
      }),
    ),
    fee: Type.Union([Type.Object({ feeMinor: Type.Integer(), rateBps: Type.Integer(), plan: Type.String() }), Type.Null()]),
    createdAt: Type.String(),
    reference: nullable(Type.String()),
    originalPaymentId: nullable(Type.String({ description: 'the payment a void, refund, completion or cancel names; null otherwise' })),
    // Optional: answers stored before it existed are replayed as they were.
    recovery: Type.Optional(Type.Union([bilingual, Type.Null()], { description: 'how the tries of a payment with more than one attempt ended; null with one attempt' })),
    method: Type.Optional(enumOf(qrMethods, 'QR payments only: wechat, alipay or unionpay-qr; card.masked is then the masked code and rrn the provider trade number')),
  },
  {},
);

/** Follow-ups answered for one payment: more than a sale's partial refunds ever come to. */
const followUpsMax = 100;

const listQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: listLimitMax, default: listLimitDefault }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
    from: Type.Optional(Type.String({ pattern: isoInstantPattern, description: 'created at or after (ISO 8601)' })),
    to: Type.Optional(Type.String({ pattern: isoInstantPattern, description: 'created before (ISO 8601)' })),
    status: Type.Optional(enumOf(paymentStatuses)),
    merchantId: Type.Optional(printable(15, 'merchant id (a merchant key sees only its own)')),
    terminalId: Type.Optional(printable(8, 'terminal id')),
    responseCode: Type.Optional(Type.String({ pattern: '^[0-9A-Z]{2}$' })),
    category: Type.Optional(enumOf(causeCategories)),
    last4: Type.Optional(Type.String({ pattern: '^[0-9]{4}$' })),
    rrn: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{1,12}$' })),
    stan: Type.Optional(Type.String({ pattern: '^[0-9]{6}$', description: 'terminal or upstream STAN' })),
    cardType: Type.Optional(enumOf(cardTypes)),
    brand: Type.Optional(enumOf(cardBrands)),
    amountMin: Type.Optional(Type.Integer({ minimum: 0, maximum: 999_999_999_999, description: 'amount at least (minor units)' })),
    amountMax: Type.Optional(Type.Integer({ minimum: 0, maximum: 999_999_999_999, description: 'amount at most (minor units)' })),
    reference: Type.Optional(printable(64, "the merchant's own order reference, exactly")),
    batch: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'a settlement batch id (GET /v1/settlements): the payments it settles' })),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof listQuerySchema>;

const idempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: idempotencyKeyCharsMax, description: 'unique per sale; retries of the same sale reuse it' }),
});

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

/** The hash stored with the idempotency key of a QR sale: the canonical body with the code as its keyed fingerprint. */
export function qrPaymentRequestHash(body: PaymentRequestBody, merchantId: string, panKey: string): string {
  return requestHashOf({
    merchantId,
    terminalId: body.terminalId ?? null,
    amountMinor: body.amountMinor,
    currency: body.currency,
    method: body.method ?? null,
    authCode: fingerprintPan(body.authCode ?? '', panKey),
    reference: body.reference ?? null,
  });
}

/** Exactly one of `card` and `method` + `authCode`, the code in its method's shape; throws RSW_HTTP_VALIDATION naming the field. */
function checkPaymentMeans(body: PaymentRequestBody): { kind: 'card'; card: NonNullable<PaymentRequestBody['card']> } | { kind: 'qr'; method: QrMethod; authCode: string } {
  const invalid = (field: string, reason: string): never => {
    throw new ReswipeError('RSW_HTTP_VALIDATION', { field, reason });
  };
  if (body.card !== undefined) {
    if (body.method !== undefined) invalid('method', 'must not be given with card: a payment is a card sale or a QR sale');
    if (body.authCode !== undefined) invalid('authCode', 'must not be given with card: a payment is a card sale or a QR sale');
    return { kind: 'card', card: body.card };
  }
  if (body.method === undefined) return invalid(body.authCode === undefined ? 'card' : 'method', body.authCode === undefined ? 'is required (or method and authCode for a QR sale)' : 'is required with authCode');
  if (body.authCode === undefined) return invalid('authCode', `is required for method ${body.method}`);
  const problem = authCodeProblem(body.method, body.authCode);
  if (problem !== null) invalid('authCode', problem);
  if (body.capture === false) invalid('capture', 'QR sales are captured at once: leave capture out or true');
  return { kind: 'qr', method: body.method, authCode: body.authCode };
}

/**
 * A UnionPay QR sale for the card engine: the code rides as the card number with entry mode `qr`
 * (docs/qr-unionpay.md), its idempotency hash holding the code only as its keyed fingerprint.
 */
function unionPayQrSaleOf(body: PaymentRequestBody, merchantId: string, key: string, authCode: string, settings: PaymentEngine['settings']): SaleRequest {
  return {
    intake: 'http',
    merchantId,
    terminalId: body.terminalId ?? null,
    amountMinor: body.amountMinor,
    currency: body.currency,
    card: { number: new CardNumber(authCode), entryMode: 'qr' },
    capture: true,
    reference: body.reference ?? null,
    idempotency: {
      scope: `http:${merchantId}`,
      key,
      requestHash: qrPaymentRequestHash(body, merchantId, settings.panKey),
      requestHashesRetired: (settings.panKeysRetired ?? []).map((retired) => qrPaymentRequestHash(body, merchantId, retired.key)),
    },
  };
}

/** The hash stored with the idempotency key: the canonical body, card number as fingerprint, CVV only as present or not. */
export function paymentRequestHash(body: PaymentRequestBody & { card: NonNullable<PaymentRequestBody['card']> }, merchantId: string, panKey: string): string {
  return requestHashOf({
    merchantId,
    terminalId: body.terminalId ?? null,
    amountMinor: body.amountMinor,
    currency: body.currency,
    card: {
      fingerprint: fingerprintPan(body.card.number, panKey),
      expiry: body.card.expiry ?? null,
      cvvPresent: body.card.cvv !== undefined,
      entryMode: body.card.entryMode,
    },
    capture: body.capture,
    reference: body.reference ?? null,
  });
}

export async function paymentRoutes(app: FastifyInstance, options: PaymentRoutesOptions): Promise<void> {
  const { engine } = options;
  app.addHook('onRequest', options.auth.guard);

  app.post<{ Body: PaymentRequestBody; Headers: Static<typeof idempotencyHeaders> }>(
    '/payments',
    {
      schema: {
        summary: 'Create a sale (card, or QR with method + authCode), or a pre-authorization when capture is false',
        description:
          'A QR sale (付款码) gives `method` and `authCode` instead of `card`. A `unionpay-qr` sale rides the host link like a card sale (ISO 8583, the code in DE 2 with entry mode 032): an unknown outcome is reversed, never resent. A `wechat` or `alipay` sale is queried while the customer is paying and cancelled (not charged) when the budget runs out, or answered `pending` with verdict wait while its cancel runs in the background. A declined sale is a normal 201 with status "declined" and the diagnosis in `decline`. The same Idempotency-Key with the same body returns the first answer (status included); while the first is running, 409; with another body, 422.',
        tags: ['payments'],
        security,
        headers: idempotencyHeaders,
        body: paymentRequestSchema,
        response: { 200: paymentViewSchema, 201: paymentViewSchema, ...errors, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const own = merchantsOf(request.principal);
      const body = request.body;
      const merchantId = body.merchantId ?? (own?.length === 1 ? own[0] : undefined);
      if (merchantId === undefined) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'merchantId', reason: own === null ? 'is required with an admin key' : 'is required: name one of your merchants' });
      if (own !== null && !own.includes(merchantId)) throw new ReswipeError('RSW_AUTH_MERCHANT_SCOPE', { merchantId: own.join(',') });
      const key = request.headers['idempotency-key'];
      const means = checkPaymentMeans(body);
      if (means.kind === 'qr') {
        const { method } = means;
        if (method === 'unionpay-qr') {
          const sale = unionPayQrSaleOf(body, merchantId, key, means.authCode, engine.settings);
          // The code stays in `sale` only; the parsed body is not kept or logged past this point.
          body.authCode = '';
          return sendSaleResult(reply, await engine.authorize(sale), options);
        }
        const qr = options.qrPayments;
        if (qr === undefined) {
          throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'method', reason: 'WeChat Pay and Alipay payments are not configured on this gateway (no QR channel)' });
        }
        const requestHash = qrPaymentRequestHash(body, merchantId, engine.settings.panKey);
        // The code stays in the request only; the parsed body is not kept or logged past this point.
        body.authCode = '';
        const result = await qr.takeQrPayment({
          intake: 'http',
          merchantId,
          terminalId: body.terminalId ?? null,
          amountMinor: body.amountMinor,
          currency: body.currency,
          method,
          authCode: means.authCode,
          reference: body.reference ?? null,
          idempotency: { scope: `http:${merchantId}`, key, requestHash },
          clientIp: request.ip,
        });
        return sendSaleResult(reply, result, options);
      }
      const sale: SaleRequest = {
        intake: 'http',
        merchantId,
        terminalId: body.terminalId ?? null,
        amountMinor: body.amountMinor,
        currency: body.currency,
        card: {
          number: new CardNumber(means.card.number),
          entryMode: means.card.entryMode,
          ...(means.card.expiry === undefined ? {} : { expiry: means.card.expiry }),
          ...(means.card.cvv === undefined ? {} : { cvv: means.card.cvv }),
        },
        capture: body.capture,
        reference: body.reference ?? null,
        idempotency: {
          scope: `http:${merchantId}`,
          key,
          requestHash: paymentRequestHash({ ...body, card: means.card }, merchantId, engine.settings.panKey),
          requestHashesRetired: (engine.settings.panKeysRetired ?? []).map((retired) => paymentRequestHash({ ...body, card: means.card }, merchantId, retired.key)),
        },
      };
      // The raw number stays in `sale` only; the parsed body is not kept or logged past this point.
      means.card.number = '';
      if (means.card.cvv !== undefined) means.card.cvv = '';
      return sendSaleResult(reply, await engine.authorize(sale), options);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/payments/:id',
    {
      schema: {
        summary: 'One payment: status, attempts with outcomes, the decline diagnosis (verdict and advice) and the fee',
        tags: ['payments'],
        security,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) }),
        response: { 200: paymentViewSchema, ...errors },
      },
    },
    async (request) => {
      const own = merchantsOf(request.principal);
      const view = await engine.getPayment(request.params.id, own?.length === 1 && own[0] !== undefined ? { merchantId: own[0] } : {});
      // Another merchant's payment is answered exactly like a missing one: its existence is not revealed.
      if (view === null || !seesMerchant(request.principal, view.merchantId)) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'payment', id: request.params.id, field: 'id' });
      return view;
    },
  );

  const listFollowUps = engine.listFollowUps?.bind(engine);
  if (listFollowUps !== undefined) {
    app.get<{ Params: { id: string } }>(
      '/payments/:id/follow-ups',
      {
        schema: {
          summary: `A payment's voids, refunds, completions and cancels, oldest first (at most ${followUpsMax})`,
          tags: ['payments'],
          security,
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) }),
          response: { 200: Type.Object({ data: Type.Array(paymentViewSchema) }), ...errors },
        },
      },
      async (request) => {
        const own = merchantsOf(request.principal);
        const original = await engine.getPayment(request.params.id, own?.length === 1 && own[0] !== undefined ? { merchantId: own[0] } : {});
        // Another merchant's payment is answered exactly like a missing one, as GET /v1/payments/{id} does.
        if (original === null || !seesMerchant(request.principal, original.merchantId)) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'payment', id: request.params.id, field: 'id' });
        const data = await listFollowUps(request.params.id, { merchantId: original.merchantId }, followUpsMax);
        if (data === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'payment', id: request.params.id, field: 'id' });
        return { data };
      },
    );
  }

  app.get<{ Querystring: ListQuery }>(
    '/payments',
    {
      schema: {
        summary: 'Payments, newest first, with filters and cursor pagination',
        tags: ['payments'],
        security,
        querystring: listQuerySchema,
        response: {
          200: Type.Object({ data: Type.Array(paymentViewSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const query = request.query;
      const scope = paymentMerchantScope(merchantsOf(request.principal), query.merchantId);
      if (scope === 'none') return { data: [], nextCursor: null };
      const storeQuery: PaymentQuery = {
        limit: query.limit,
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        ...paymentFilterOf(query, scope),
      };
      return engine.listPayments(storeQuery);
    },
  );
}

/** The HTTP answer of a card or QR sale: 201 with the view, the stored answer on a replay, 409 while running, 422 for another body. */
function sendSaleResult(reply: FastifyReply, result: SaleResult, options: PaymentRoutesOptions) {
  switch (result.kind) {
    case 'completed':
      options.onPaymentAnswered?.(result.view.status);
      return reply.code(201).send(result.view);
    case 'replayed': {
      const stored = parseStoredBody(result.responseBody);
      return reply.code(result.responseStatus ?? 201).send(stored === null ? result.view : withViewFieldsOf(stored, result.view));
    }
    case 'in_progress':
      return sendProblem(reply, problemOfError(new ReswipeError('RSW_IDEMPOTENCY_IN_PROGRESS', { field: 'idempotency-key' })));
    case 'idempotency_mismatch':
      return sendProblem(reply, problemOfError(new ReswipeError('RSW_IDEMPOTENCY_MISMATCH', { field: 'idempotency-key' })));
  }
}

/**
 * A stored answer written before the view carried `kind` and `originalPaymentId` takes them from the
 * payment (they never change), so its replay still passes the response schema, where both are required:
 * without them the serializer fails the replay with a 500. Anything that is not a stored view is left as it is.
 */
export function withViewFieldsOf(stored: unknown, view: Pick<PaymentView, 'kind' | 'originalPaymentId'>): unknown {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored) || !('id' in stored)) return stored;
  return { kind: view.kind, originalPaymentId: view.originalPaymentId, ...stored };
}

function parseStoredBody(body: string | null): unknown {
  if (body === null) return null;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return null;
  }
}
