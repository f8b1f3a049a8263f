// The decline-intelligence HTTP API, as an encapsulated Fastify plugin the app registers under /v1:
// the response-code catalogue, the troubleshooting guide, and POST /diagnose (a code or outcome plus
// context: card brand or BIN, amount, Mastercard advice code, earlier attempts). Every route has a
// JSON schema (validation and the OpenAPI document); errors are application/problem+json with the
// stable catalogue code. Answers use the one Diagnosis shape the terminal and `reswipe explain` use.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isReswipeError, ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { explainQrEntry, findQrCode, qrCodePattern, type QrCodeTables } from '../../../core/declines/qr-code-table.ts';
import {
  brandFromPrefix,
  classifyResponseCode,
  defaultBinTable,
  diagnose,
  explainEntry,
  findBinEntry,
  findSymptom,
  nonCodeOutcomes,
  responseCodeTable,
  retryRules,
  symptomGuide,
  type BinTable,
  type CardAttemptHistoryEntry,
  type NonCodeOutcome,
} from '../../../core/declines/index.ts';
import { attemptOutcomes, causeCategories, cardBrands, responsibleParties, retryVerdicts, type AttemptOutcome, type CardBrand } from '../../../core/vocabulary.ts';

export interface DeclineRoutesOptions {
  /** The BIN table used to find the brand from `bin` in POST /diagnose; default the shipped table. */
  readonly binTable?: BinTable | undefined;
  /** The time a diagnosis is made at when the request gives none; defaults to the system clock. */
  readonly nowMs?: (() => number) | undefined;
  /** The QR providers' catalogues for GET /qr-codes/{code}; absent: every QR code is answered 404. */
  readonly qrCodeTables?: QrCodeTables | undefined;
}

/** Earlier attempts accepted in one diagnose request (a card's 30-day history fits easily). */
export const diagnoseAttemptsMax = 500;

const problemType = (code: string): string => `urn:reswipe:error:${code}`;
const isoInstant = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$';
const codePattern = '^[0-9A-Za-z]{2}$';

const problemSchema = {
  type: 'object',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' }, field: { type: 'string' } },
  required: ['type', 'title', 'status', 'code', 'detail'],
} as const;

const bilingualSchema = { type: 'object', properties: { zh: { type: 'string' }, en: { type: 'string' } }, required: ['zh', 'en'] } as const;
const adviceSchema = { type: 'object', properties: { cashier: bilingualSchema, customer: bilingualSchema }, required: ['cashier', 'customer'] } as const;

const diagnosisSchema = {
  type: 'object',
  description: 'The shared result shape: HTTP decline, reswipe explain --json, terminal DE 39/44/63.',
  properties: {
    code: { type: 'string', description: 'DE 39 the terminal is answered with' },
    meaning: { type: 'string' },
    outcome: { type: 'string', enum: [...attemptOutcomes] },
    category: { type: 'string', enum: [...causeCategories] },
    party: { type: 'string', enum: [...responsibleParties], description: 'who must act' },
    verdict: { type: 'string', enum: [...retryVerdicts] },
    waitSeconds: { type: ['integer', 'null'] },
    automaticRetry: { type: 'boolean', description: 'may the gateway itself retry' },
    advice: adviceSchema,
    reason: { type: 'string' },
    field: { type: 'string' },
  },
  required: ['code', 'meaning', 'outcome', 'category', 'party', 'verdict', 'waitSeconds', 'automaticRetry', 'advice'],
} as const;

const explanationSchema = {
  type: 'object',
  properties: {
    ...diagnosisSchema.properties,
    meaningZh: { type: 'string' },
    terminalVerdict: { type: 'string', description: 'DE 44 text' },
    cupsClass: { type: ['string', 'null'] },
    visaCategory: { type: ['object', 'null'], additionalProperties: { type: ['integer', 'null'] }, description: 'Visa decline category per category-list edition' },
    mastercardNote: { type: ['string', 'null'] },
    source: { type: ['string', 'null'] },
    known: { type: 'boolean', description: 'false when the code is not in the catalogue (then verdict fix, never automatic)' },
  },
} as const;

const qrExplanationSchema = {
  type: 'object',
  properties: {
    ...explanationSchema.properties,
    provider: { type: 'string', enum: ['wechatpay-v2', 'alipay'] },
    tradeState: { type: 'string', enum: ['paid', 'paying', 'failed', 'unknown'], description: 'where the trade stands when the provider answers with this code' },
  },
} as const;

const symptomSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: bilingualSchema,
    causes: { type: 'array', items: bilingualSchema },
    verdict: { type: 'string', enum: [...retryVerdicts] },
    waitSeconds: { type: ['integer', 'null'] },
    party: { type: 'string', enum: [...responsibleParties] },
    relatedCodes: { type: 'array', items: { type: 'string' } },
    steps: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, text: bilingualSchema } } },
  },
} as const;

const budgetSchema = {
  type: ['object', 'null'],
  properties: { allowed: { type: 'boolean' }, untilMs: { type: ['integer', 'null'] }, until: { type: ['string', 'null'] }, diagnosis: diagnosisSchema },
  required: ['allowed'],
} as const;

function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, field: string | undefined): FastifyReply {
  const title = status >= 500 ? 'Internal Server Error' : status === 404 ? 'Not Found' : 'Bad Request';
  return reply
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: problemType(code), title, status, code, detail, ...(field === undefined ? {} : { field }) }));
}

interface DiagnoseBody {
  code?: string;
  outcome?: NonCodeOutcome;
  brand?: CardBrand;
  bin?: string;
  amountMinor?: number;
  merchantId?: string;
  mastercardAdviceCode?: string;
  at?: string;
  edition?: string;
  attempts?: Array<{ at: string; responseCode?: string | null; outcome: AttemptOutcome; merchantId?: string; amountMinor?: number; mastercardAdviceCode?: string }>;
}

export async function declineRoutes(app: FastifyInstance, options: DeclineRoutesOptions = {}): Promise<void> {
  const binTable = options.binTable ?? defaultBinTable;
  const nowMs = options.nowMs ?? (() => Date.now());

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    // Server-side failures go up to the API's handler: a fixed text for the client, one log line for operators.
    if (isReswipeError(error)) {
      if (error.httpStatus >= 500) throw error;
      return sendProblem(reply, error.httpStatus, error.code, error.message, error.field);
    }
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const path = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      const field = path !== '' ? path : typeof first?.params?.missingProperty === 'string' ? first.params.missingProperty : undefined;
      const code = field === 'code' ? 'RSW_DECLINE_BAD_CODE' : 'RSW_BAD_ARGUMENT';
      return sendProblem(reply, 400, code, `${field ?? error.validationContext ?? 'request'} ${first?.message ?? 'is invalid'}`, field);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return sendProblem(reply, error.statusCode, 'RSW_BAD_ARGUMENT', error.message, undefined);
    throw error;
  });

  const errorResponses = { 400: problemSchema, 404: problemSchema };

  app.get<{ Querystring: { category?: string; verdict?: string } }>(
    '/decline-codes',
    {
      schema: {
        summary: 'The response-code catalogue: every code with meaning, category, verdict, wait and advice',
        tags: ['declines'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { category: { type: 'string', enum: [...causeCategories] }, verdict: { type: 'string', enum: [...retryVerdicts] } },
        },
        response: { 200: { type: 'object', properties: { edition: { type: 'string' }, data: { type: 'array', items: explanationSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { category, verdict } = request.query;
      const data = responseCodeTable.entries
        .filter((entry) => (category === undefined || entry.category === category) && (verdict === undefined || entry.verdict === verdict))
        .map((entry) => explainEntry(entry, classifyResponseCode(entry.code)));
      return { edition: responseCodeTable.edition, data };
    },
  );

  app.get<{ Params: { code: string } }>(
    '/decline-codes/:code',
    {
      schema: {
        summary: 'One response code; a code missing from the catalogue is answered with verdict fix and known false',
        tags: ['declines'],
        params: { type: 'object', required: ['code'], properties: { code: { type: 'string', pattern: codePattern, description: 'DE 39, two letters or digits' } } },
        response: { 200: explanationSchema, ...errorResponses },
      },
    },
    async (request) => {
      const code = request.params.code.toUpperCase();
      return explainEntry(responseCodeTable.byCode.get(code), classifyResponseCode(code));
    },
  );

  app.get<{ Params: { code: string } }>(
    '/qr-codes/:code',
    {
      schema: {
        summary: "A QR provider's error code (WeChat Pay err_code, Alipay sub_code), in every provider catalogue that has it",
        tags: ['declines'],
        params: { type: 'object', required: ['code'], properties: { code: { type: 'string', pattern: qrCodePattern.source, description: 'e.g. USERPAYING, ACQ.SYSTEM_ERROR; any case' } } },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: qrExplanationSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      const data = findQrCode(options.qrCodeTables ?? {}, request.params.code).map(explainQrEntry);
      if (data.length === 0) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'QR code', id: request.params.code.slice(0, 64), field: 'code' });
      return { data };
    },
  );

  app.get(
    '/symptoms',
    {
      schema: {
        summary: 'The troubleshooting guide for problems that are not response codes',
        tags: ['declines'],
        response: { 200: { type: 'object', properties: { stepKinds: { type: 'object', additionalProperties: bilingualSchema }, data: { type: 'array', items: symptomSchema } } } },
      },
    },
    async () => ({ stepKinds: symptomGuide.stepKinds, data: symptomGuide.symptoms }),
  );

  app.get<{ Params: { id: string } }>(
    '/symptoms/:id',
    {
      schema: {
        summary: 'One troubleshooting entry',
        tags: ['declines'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,40}$' } } },
        response: { 200: symptomSchema, ...errorResponses },
      },
    },
    async (request) => findSymptom(request.params.id),
  );

  app.post<{ Body: DiagnoseBody }>(
    '/diagnose',
    {
      schema: {
        summary: 'Diagnose a failed attempt: verdict, wait, who must act, advice, and whether the card may be tried again',
        description: 'Give exactly one of code (DE 39) or outcome (an outcome without a code). Context (brand or bin, amount, merchant, Mastercard advice code, earlier attempts of the same card) applies the scheme retry budgets. Never send a PAN: only the BIN.',
        tags: ['declines'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            code: { type: 'string', pattern: codePattern },
            outcome: { type: 'string', enum: [...nonCodeOutcomes] },
            brand: { type: 'string', enum: [...cardBrands] },
            bin: { type: 'string', pattern: '^[0-9]{6,8}$', description: 'first 6-8 digits, to find the brand when brand is not given' },
            amountMinor: { type: 'integer', minimum: 0, maximum: 999_999_999_999 },
            merchantId: { type: 'string', minLength: 1, maxLength: 64 },
            mastercardAdviceCode: { type: 'string', pattern: '^[0-9]{2}$' },
            at: { type: 'string', pattern: isoInstant, description: 'when the attempt failed; default now' },
            edition: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}$', description: 'retry-rule edition; default the one in force' },
            attempts: {
              type: 'array',
              maxItems: diagnoseAttemptsMax,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['at', 'outcome'],
                properties: {
                  at: { type: 'string', pattern: isoInstant },
                  responseCode: { type: ['string', 'null'], pattern: codePattern },
                  outcome: { type: 'string', enum: [...attemptOutcomes] },
                  merchantId: { type: 'string', maxLength: 64 },
                  amountMinor: { type: 'integer', minimum: 0, maximum: 999_999_999_999 },
                  mastercardAdviceCode: { type: 'string', pattern: '^[0-9]{2}$' },
                },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              diagnosis: diagnosisSchema,
              terminal: { type: 'object', properties: { de39: { type: 'string' }, de44: { type: 'string' }, de63: bilingualSchema } },
              scheme: {
                type: ['object', 'null'],
                properties: { brand: { type: 'string' }, visaCategory: { type: ['integer', 'null'] }, visaEdition: { type: ['string', 'null'] }, mastercardAdviceCode: { type: ['string', 'null'] } },
              },
              nextAttempt: budgetSchema,
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const body = request.body;
      if ((body.code === undefined) === (body.outcome === undefined)) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'code', reason: 'give exactly one of code or outcome' });
      }
      const atMs = body.at === undefined ? nowMs() : Date.parse(body.at);
      const brand: CardBrand | undefined =
        body.brand ?? (body.bin === undefined ? undefined : (findBinEntry(body.bin, binTable)?.brand ?? brandFromPrefix(body.bin)));
      const history: CardAttemptHistoryEntry[] = (body.attempts ?? []).map((attempt) => ({
        atMs: Date.parse(attempt.at),
        responseCode: attempt.responseCode ?? null,
        outcome: attempt.outcome,
        brand: brand ?? 'unknown',
        merchantId: attempt.merchantId ?? body.merchantId ?? '',
        amountMinor: attempt.amountMinor ?? body.amountMinor ?? 0,
        ...(attempt.mastercardAdviceCode === undefined ? {} : { mastercardAdviceCode: attempt.mastercardAdviceCode }),
      }));
      if (history.some((entry) => Number.isNaN(entry.atMs)) || Number.isNaN(atMs)) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'at', reason: 'must be an ISO 8601 time with a zone' });
      }
      const context = {
        nowMs: atMs,
        ...(brand === undefined ? {} : { brand }),
        ...(body.amountMinor === undefined ? {} : { amountMinor: body.amountMinor }),
        ...(body.merchantId === undefined ? {} : { merchantId: body.merchantId }),
        ...(body.mastercardAdviceCode === undefined ? {} : { mastercardAdviceCode: body.mastercardAdviceCode }),
        ...(body.edition === undefined ? {} : { edition: body.edition }),
        history,
      };
      const result = body.code !== undefined ? diagnose({ ...context, code: body.code.toUpperCase() }) : diagnose({ ...context, outcome: body.outcome as NonCodeOutcome });
      const next = result.nextAttempt;
      return {
        ...result,
        nextAttempt: next === null ? null : next.allowed ? { allowed: true, untilMs: null, until: null } : { allowed: false, untilMs: next.untilMs, until: next.untilMs === null ? null : new Date(next.untilMs).toISOString(), diagnosis: next.diagnosis },
      };
    },
  );
}

/** The rule editions known to the diagnose endpoint (for docs and the console). */
export function knownRuleEditions(): string[] {
  return [...retryRules.visa, ...retryRules.mastercard].map((edition) => edition.edition);
}
