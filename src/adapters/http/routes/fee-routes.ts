// The fee and settlement HTTP API, as an encapsulated Fastify plugin the app registers under /v1:
// quotes, the what-if comparison, fee plans (read and replace, validated whole), settlement
// batches and the statement CSV. Every route has a JSON schema (validation and the OpenAPI
// document); errors are application/problem+json with the stable catalogue code.
import { Ajv } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
// Brings in the OpenAPI keys of route schemas (summary, tags) for the type checker.
import type {} from '@fastify/swagger';
import type { FeeUseCases } from '../../../core/ports/fee-use-cases.ts';
import { isReswipeError, ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { assertBusinessDate, defaultCutoff, defaultSettlementTimeZone } from '../../../core/fees/business-date.ts';
import { defaultFeePlanName } from '../../../core/fees/builtin-fee-plans.ts';
import { computeFee } from '../../../core/fees/compute-fee.ts';
import { settleModes, type FeePlan, type FeePlanSet, type SettleMode } from '../../../core/fees/fee-plan.ts';
import { getFeePlan, validateFeePlan } from '../../../core/fees/validate-fee-plans.ts';
import type { AuditRecord, Store } from '../../../core/ports/store.ts';
import { auditRecordOf } from '../audit-trail.ts';
import { paymentMethods } from '../../../core/vocabulary.ts';

export interface FeeRoutesOptions {
  /** Without a store and the fee use cases, only quotes and plans are served (compare and settlements need payments). */
  readonly store?: Store | undefined;
  /** The comparison and the statement export (src/app/fees, bound to the same store). */
  readonly useCases?: FeeUseCases | undefined;
  /** The plans in force now; any gateway node may change them (docs/fees.md, "Fee plans on several nodes"). */
  readonly plans: () => FeePlanSet;
  readonly settlement?: { readonly timeZone?: string; readonly cutoff?: string; readonly settleMode?: SettleMode } | undefined;
  /**
   * Stores a validated plan of `PUT /v1/fee-plans/{name}` with its audit record, and resolves once
   * `plans()` includes it. If it throws, nothing changed and the client gets the error.
   */
  readonly putPlan: (plan: FeePlan, audit: AuditRecord) => Promise<void>;
  /** The time a quote is priced at when the request gives none; defaults to the system clock. */
  readonly nowMs?: (() => number) | undefined;
}

const problemType = (code: string): string => `urn:reswipe:error:${code}`;
const isoInstant = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$';
const datePattern = '^\\d{4}-\\d{2}-\\d{2}$';
const idPattern = '^[A-Za-z0-9_.-]{1,64}$';

const problemSchema = {
  type: 'object',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' }, field: { type: 'string' } },
  required: ['type', 'title', 'status', 'code', 'detail'],
} as const;

const quoteSchema = {
  type: 'object',
  properties: {
    amountMinor: { type: 'integer' },
    feeMinor: { type: 'integer' },
    netMinor: { type: 'integer' },
    rateBps: { type: 'integer' },
    roundedFeeMinor: { type: 'integer' },
    rateFeeMinor: { type: 'integer' },
    capped: { type: 'boolean' },
    floored: { type: 'boolean' },
    surchargeMinor: { type: 'integer' },
    limitedToAmount: { type: 'boolean' },
    plan: { type: 'string' },
    rule: { type: 'string' },
    rounding: { type: 'string' },
    method: { type: 'string' },
    settleMode: { type: 'string' },
  },
} as const;

const batchSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    merchantId: { type: 'string' },
    businessDate: { type: 'string' },
    grossMinor: { type: 'integer' },
    refundsMinor: { type: 'integer' },
    feesMinor: { type: 'integer' },
    netMinor: { type: 'integer' },
    payoutDate: { type: 'string' },
    settleMode: { type: 'string', enum: [...settleModes] },
    state: { type: 'string', enum: ['open', 'closed', 'paid'] },
    createdAt: { type: 'string' },
  },
} as const;

const planDocumentSchema = { type: 'object', additionalProperties: true, description: 'A fee plan document (docs/fees.md); validated in full by reswipe, unknown keys rejected.' } as const;

/** Fields whose schema failure has a more precise code than RSW_BAD_ARGUMENT. */
const validationCodes: Readonly<Record<string, 'RSW_FEE_BAD_AMOUNT' | 'RSW_FEE_UNKNOWN_METHOD' | 'RSW_FEE_BAD_DATE'>> = {
  amountMinor: 'RSW_FEE_BAD_AMOUNT',
  method: 'RSW_FEE_UNKNOWN_METHOD',
  at: 'RSW_FEE_BAD_DATE',
  date: 'RSW_FEE_BAD_DATE',
  from: 'RSW_FEE_BAD_DATE',
  to: 'RSW_FEE_BAD_DATE',
};

function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, field: string | undefined): FastifyReply {
  const title = status >= 500 ? 'Internal Server Error' : status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : status === 422 ? 'Unprocessable Content' : 'Bad Request';
  return reply
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: problemType(code), title, status, code, detail, ...(field === undefined ? {} : { field }) }));
}

export async function feeRoutes(app: FastifyInstance, options: FeeRoutesOptions): Promise<void> {
  const plans = options.plans;
  const nowMs = options.nowMs ?? (() => Date.now());
  const timeZone = options.settlement?.timeZone ?? defaultSettlementTimeZone;
  const cutoff = options.settlement?.cutoff ?? defaultCutoff;
  const defaultSettleMode = options.settlement?.settleMode ?? 't1';

  // Money input is never coerced ("100" is not 100 fen) and unknown keys are errors, not silently
  // dropped: this plugin validates with its own strict Ajv instead of Fastify's lenient default.
  const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema));

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    // Server-side failures go up to the API's handler: a fixed text for the client, one log line for operators.
    if (isReswipeError(error)) {
      if (error.httpStatus >= 500) throw error;
      return sendProblem(reply, error.httpStatus, error.code, error.message, error.field);
    }
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const path = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      const named = first?.params?.missingProperty ?? first?.params?.additionalProperty;
      const field = path !== '' ? path : typeof named === 'string' ? named : undefined;
      const code = (field === undefined ? undefined : validationCodes[field]) ?? 'RSW_BAD_ARGUMENT';
      return sendProblem(reply, 400, code, `${field ?? error.validationContext ?? 'request'} ${first?.message ?? 'is invalid'}`, field);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return sendProblem(reply, error.statusCode, 'RSW_BAD_ARGUMENT', error.message, undefined);
    throw error;
  });

  const errorResponses = { 400: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };

  app.post<{ Body: { amountMinor: number; method: string; plan?: string; mcc?: string; at?: string; settleMode?: SettleMode } }>(
    '/fees/quote',
    {
      schema: {
        summary: 'Fee quote for an amount, method and plan',
        tags: ['fees'],
        body: {
          type: 'object',
          required: ['amountMinor', 'method'],
          additionalProperties: false,
          properties: {
            amountMinor: { type: 'integer', minimum: 0, maximum: 999_999_999_999, description: 'amount in fen' },
            method: { type: 'string', enum: [...paymentMethods] },
            plan: { type: 'string', maxLength: 64, description: `fee plan, default ${defaultFeePlanName}` },
            mcc: { type: 'string', pattern: '^\\d{4}$' },
            at: { type: 'string', pattern: isoInstant, description: 'time of the payment (ISO 8601 with a zone); default now' },
            settleMode: { type: 'string', enum: [...settleModes] },
          },
        },
        response: { 200: quoteSchema, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body;
      return computeFee({
        amountMinor: body.amountMinor,
        method: body.method,
        plan: getFeePlan(plans(), body.plan ?? defaultFeePlanName),
        mcc: body.mcc,
        atMs: body.at === undefined ? nowMs() : Date.parse(body.at),
        settleMode: body.settleMode ?? defaultSettleMode,
      });
    },
  );

  app.get('/fee-plans', { schema: { summary: 'Every loaded fee plan', tags: ['fees'], response: { 200: { type: 'object', properties: { data: { type: 'array', items: planDocumentSchema } } } } } }, async () => ({
    data: [...plans().plans.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((plan) => plan.document),
  }));

  app.get<{ Params: { name: string } }>(
    '/fee-plans/:name',
    { schema: { summary: 'One fee plan as its document', tags: ['fees'], params: { type: 'object', properties: { name: { type: 'string', maxLength: 64 } }, required: ['name'] }, response: { 200: planDocumentSchema, ...errorResponses } } },
    async (request) => getFeePlan(plans(), request.params.name).document,
  );

  app.put<{ Params: { name: string }; Body: Record<string, unknown> }>(
    '/fee-plans/:name',
    {
      schema: {
        summary: 'Create or replace a fee plan; validated whole, nothing half-applied',
        tags: ['fees'],
        params: { type: 'object', properties: { name: { type: 'string', maxLength: 64 } }, required: ['name'] },
        body: planDocumentSchema,
        response: { 200: planDocumentSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params;
      const body = request.body;
      if (body.name !== undefined && body.name !== name) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'name', reason: `the body names plan ${String(body.name)}, the path ${name}` });
      const plan: FeePlan = validateFeePlan({ ...body, name }, 'http', '$');
      // Audited in the write that stores the plan: both or neither.
      await options.putPlan(plan, auditRecordOf(request, 'fee_plan.put', name, { plan: body }, nowMs()));
      return plan.document;
    },
  );

  const store = options.store;
  const useCases = options.useCases;
  if (store === undefined || useCases === undefined) return;

  app.post<{ Body: { merchantId: string; from: string; to: string; plan: string; settleMode?: SettleMode } }>(
    '/fees/compare',
    {
      schema: {
        summary: "What-if: a merchant's period priced under another plan",
        tags: ['fees'],
        body: {
          type: 'object',
          required: ['merchantId', 'from', 'to', 'plan'],
          additionalProperties: false,
          properties: {
            merchantId: { type: 'string', pattern: idPattern },
            from: { type: 'string', pattern: datePattern },
            to: { type: 'string', pattern: datePattern },
            plan: { type: 'string', maxLength: 64 },
            settleMode: { type: 'string', enum: [...settleModes] },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              merchantId: { type: 'string' },
              fromDate: { type: 'string' },
              toDate: { type: 'string' },
              currentPlan: { type: 'string' },
              plan: { type: 'string' },
              payments: { type: 'integer' },
              amountMinor: { type: 'integer' },
              currentFeesMinor: { type: 'integer' },
              whatIfFeesMinor: { type: 'integer' },
              differenceMinor: { type: 'integer' },
              byMethod: {
                type: 'array',
                items: { type: 'object', properties: { method: { type: 'string' }, payments: { type: 'integer' }, amountMinor: { type: 'integer' }, currentFeesMinor: { type: 'integer' }, whatIfFeesMinor: { type: 'integer' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const body = request.body;
      return useCases.compare({
        merchantId: body.merchantId,
        fromDate: assertBusinessDate(body.from, 'from'),
        toDate: assertBusinessDate(body.to, 'to'),
        plan: body.plan,
        plans: plans(),
        timeZone,
        cutoff,
        settleMode: body.settleMode ?? defaultSettleMode,
      });
    },
  );

  app.get<{ Querystring: { merchantId?: string; date?: string; from?: string; to?: string } }>(
    '/settlements',
    {
      schema: {
        summary: 'Settlement batches by merchant and business date',
        tags: ['settlement'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { merchantId: { type: 'string', pattern: idPattern }, date: { type: 'string', pattern: datePattern }, from: { type: 'string', pattern: datePattern }, to: { type: 'string', pattern: datePattern } },
        },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: batchSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { merchantId, date, from, to } = request.query;
      const fromDate = date ?? from;
      const toDate = date ?? to;
      const batches = await store.listSettlementBatches({
        ...(merchantId === undefined ? {} : { merchantId }),
        ...(fromDate === undefined ? {} : { fromDate: assertBusinessDate(fromDate, date === undefined ? 'from' : 'date') }),
        ...(toDate === undefined ? {} : { toDate: assertBusinessDate(toDate, date === undefined ? 'to' : 'date') }),
      });
      return { data: batches.map((batch) => ({ ...batch, createdAt: new Date(batch.createdAtMs).toISOString() })) };
    },
  );

  app.get<{ Params: { merchantId: string; date: string } }>(
    '/settlements/:merchantId/:date/statement.csv',
    {
      schema: {
        summary: 'The statement (对账单) CSV of a settlement batch; columns in a fixed order (docs/settlement.md)',
        tags: ['settlement'],
        params: { type: 'object', required: ['merchantId', 'date'], properties: { merchantId: { type: 'string', pattern: idPattern }, date: { type: 'string', pattern: datePattern } } },
        response: { 200: { type: 'string', description: 'text/csv' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { merchantId, date } = request.params;
      const csv = await useCases.exportStatement(merchantId, assertBusinessDate(date, 'date'), { timeZone, cutoff });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statement-${merchantId}-${date}.csv"`)
        .send(csv);
    },
  );
}
