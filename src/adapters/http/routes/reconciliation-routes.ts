// Reconciliation over HTTP (admin keys; docs/reconciliation.md, "HTTP API"):
//   GET  /v1/reconciliation/runs                           runs, newest business day first
//   GET  /v1/reconciliation/runs/{runId}                   one run with counts by category and state
//   GET  /v1/reconciliation/discrepancies                  the queue, oldest first, keyset-paged
//   GET  /v1/reconciliation/discrepancies/{id}             one discrepancy with its actions and adjustment
//   POST /v1/reconciliation/discrepancies/{id}/actions     {action, note, adjustmentMinor?, merchantId?}
// The POST takes an Idempotency-Key like every other admin action: the same key and body replay the
// first answer, another body is 422. Imports run from the CLI or the drop folder, never over HTTP
// (a bank's file does not belong in a request body).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { requestHashOf } from '../../../core/payments/request-hash.ts';
import type { DiscrepancyView, ReconciliationUseCases } from '../../../core/ports/reconciliation-use-cases.ts';
import { isReswipeError, ReswipeError } from '../../../core/errors/reswipe-error.ts';
import type { DiscrepancyCategoryName, DiscrepancyRecord, DiscrepancyStateName, Store, StoreTx } from '../../../core/ports/store.ts';
import type { Clock } from '../../../core/time/clock.ts';
import { discrepancyCategories } from '../../../core/reconciliation/decide-line-match.ts';
import { adjustmentMinorMax, discrepancyActions, discrepancyStates, noteCharsMax, type DiscrepancyActionKind } from '../../../core/reconciliation/discrepancy-queue.ts';
import { actorOf, type ApiAuth } from '../auth.ts';
import { problemOfError, problemSchema, sendProblem } from '../problem.ts';
import { idempotencyKeyCharsMax } from './payment-routes.ts';

export interface ReconciliationRoutesOptions {
  store: Store;
  clock: Clock;
  useCases: ReconciliationUseCases;
  auth: ApiAuth;
}

const listMax = 1000;
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
// The route schemas validate the words; handlers narrow the typed values (TypeBox unions of a list are plain strings).
const literals = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const dateSchema = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const idSchema = Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9_-]+$' });

const runSchema = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  businessDate: Type.String(),
  layout: Type.String(),
  fileName: Type.String(),
  fileSha256: Type.String(),
  state: literals(['importing', 'done', 'failed']),
  linesTotal: Type.Integer(),
  linesMatched: Type.Integer(),
  discrepancies: Type.Integer(),
  theirsMinor: Type.Integer({ description: 'signed fen the channel settled for the day (refunds negative)' }),
  oursMinor: Type.Integer({ description: 'signed fen the gateway approved for the channel and day' }),
  actor: Type.String(),
  startedAtMs: Type.Integer(),
  finishedAtMs: nullable(Type.Integer()),
  error: nullable(Type.String()),
});
const runViewSchema = Type.Intersect([runSchema, Type.Object({ byCategory: Type.Record(Type.String(), Type.Integer()), byState: Type.Record(Type.String(), Type.Integer()) })]);

const discrepancySchema = Type.Object({
  id: Type.String(),
  runId: Type.String(),
  channel: Type.String(),
  businessDate: Type.String(),
  category: literals(discrepancyCategories),
  lineNo: nullable(Type.Integer()),
  attemptId: nullable(Type.String()),
  paymentId: nullable(Type.String()),
  merchantId: nullable(Type.String()),
  theirsMinor: Type.Integer(),
  oursMinor: Type.Integer(),
  differenceMinor: Type.Integer({ description: 'theirs - ours, fen' }),
  causeCode: Type.String(),
  causeZh: Type.String(),
  causeEn: Type.String(),
  state: literals(discrepancyStates),
  adjustmentMinor: nullable(Type.Integer()),
  overdueAtMs: nullable(Type.Integer()),
  createdAtMs: Type.Integer(),
  updatedAtMs: Type.Integer(),
  version: Type.Integer(),
});
const discrepancyViewSchema = Type.Intersect([
  discrepancySchema,
  Type.Object({
    actions: Type.Array(
      Type.Object({ discrepancyId: Type.String(), seq: Type.Integer(), action: literals(discrepancyActions), stateBefore: Type.String(), stateAfter: Type.String(), note: Type.String(), actor: Type.String(), adjustmentMinor: nullable(Type.Integer()), atMs: Type.Integer() }),
    ),
    adjustment: nullable(
      Type.Object({ id: Type.String(), discrepancyId: Type.String(), merchantId: Type.String(), amountMinor: Type.Integer(), businessDate: Type.String(), reason: Type.String(), batchId: nullable(Type.String()), createdAtMs: Type.Integer() }),
    ),
  }),
]);

const runsQuery = Type.Object({ channel: Type.Optional(idSchema), date: Type.Optional(dateSchema), limit: Type.Integer({ minimum: 1, maximum: listMax, default: 100 }) }, { additionalProperties: false });
const discrepanciesQuery = Type.Object(
  {
    state: Type.Optional(literals(discrepancyStates)),
    category: Type.Optional(literals(discrepancyCategories)),
    runId: Type.Optional(idSchema),
    merchantId: Type.Optional(idSchema),
    after: Type.Optional(Type.String({ maxLength: 120, pattern: '^[0-9]{1,16}:[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page' })),
    limit: Type.Integer({ minimum: 1, maximum: listMax, default: 100 }),
  },
  { additionalProperties: false },
);
const actionBody = Type.Object(
  {
    action: literals(discrepancyActions),
    note: Type.String({ minLength: 1, maxLength: noteCharsMax, description: 'who said what, their reference (never a card number)' }),
    adjustmentMinor: Type.Optional(Type.Integer({ minimum: -adjustmentMinorMax, maximum: adjustmentMinorMax, description: 'resolve only: signed fen, + paid to the merchant in its next batch, - taken back' })),
    merchantId: Type.Optional(idSchema),
  },
  { additionalProperties: false },
);
const idParams = Type.Object({ id: idSchema });
const idempotencyHeaders = Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: idempotencyKeyCharsMax }) });
const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const tags = ['reconciliation'];

export async function reconciliationRoutes(app: FastifyInstance, options: ReconciliationRoutesOptions): Promise<void> {
  const { store } = options;
  app.addHook('onRequest', options.auth.guard);

  app.get<{ Querystring: Static<typeof runsQuery> }>(
    '/reconciliation/runs',
    { schema: { summary: 'Reconciliation runs (one per channel and business day), newest day first', tags, security, querystring: runsQuery, response: { 200: Type.Object({ data: Type.Array(runSchema) }), ...errors } } },
    async (request) => {
      const { channel, date, limit } = request.query;
      return { data: await options.useCases.listRuns({ limit, ...(channel === undefined ? {} : { channel }), ...(date === undefined ? {} : { fromDate: date, toDate: date }) }) };
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/reconciliation/runs/:runId',
    { schema: { summary: 'One reconciliation run with its discrepancies counted by category and state', tags, security, params: Type.Object({ runId: idSchema }), response: { 200: runViewSchema, ...errors } } },
    async (request) => options.useCases.loadRun(request.params.runId),
  );

  app.get<{ Querystring: Static<typeof discrepanciesQuery> }>(
    '/reconciliation/discrepancies',
    {
      schema: {
        summary: 'The discrepancy queue, oldest first; filter by state, category, run or merchant',
        tags,
        security,
        querystring: discrepanciesQuery,
        response: { 200: Type.Object({ data: Type.Array(discrepancySchema), nextCursor: nullable(Type.String()) }), ...errors },
      },
    },
    async (request) => {
      const { runId, merchantId, after, limit } = request.query;
      const state = request.query.state as DiscrepancyStateName | undefined;
      const category = request.query.category as DiscrepancyCategoryName | undefined;
      const cursor = after === undefined ? undefined : { createdAtMs: Number(after.slice(0, after.indexOf(':'))), id: after.slice(after.indexOf(':') + 1) };
      const data = await options.useCases.listDiscrepancies({
        limit,
        ...(state === undefined ? {} : { state }),
        ...(category === undefined ? {} : { category }),
        ...(runId === undefined ? {} : { runId }),
        ...(merchantId === undefined ? {} : { merchantId }),
        ...(cursor === undefined ? {} : { after: cursor }),
      });
      const last = data[data.length - 1];
      return { data, nextCursor: data.length === limit && last !== undefined ? `${last.createdAtMs}:${last.id}` : null };
    },
  );

  app.get<{ Params: Static<typeof idParams> }>(
    '/reconciliation/discrepancies/:id',
    { schema: { summary: 'One discrepancy with its likely cause (zh-CN and en), its actions and its adjustment', tags, security, params: idParams, response: { 200: discrepancyViewSchema, ...errors } } },
    async (request) => options.useCases.loadDiscrepancy(request.params.id),
  );

  /** Runs an action once per (actor, Idempotency-Key); the key and answer commit in the action's own write. */
  async function idempotent(reply: FastifyReply, actor: string, key: string, request: unknown, run: (storeKey: (tx: StoreTx, answer: DiscrepancyRecord) => Promise<void>) => Promise<DiscrepancyRecord>): Promise<FastifyReply> {
    const scope = `recon:${actor}`;
    const requestHash = requestHashOf(request);
    const replayed = async (): Promise<FastifyReply | null> => {
      const record = await store.getIdempotency(scope, key);
      if (record === null) return null;
      if (record.requestHash !== requestHash) return sendProblem(reply, problemOfError(new ReswipeError('RSW_IDEMPOTENCY_MISMATCH', { field: 'idempotency-key' })));
      return reply.code(record.responseStatus ?? 200).send(JSON.parse(record.responseBody ?? 'null') as DiscrepancyView);
    };
    const earlier = await replayed();
    if (earlier !== null) return earlier;
    try {
      let answer: DiscrepancyView | null = null;
      await run(async (tx, stored) => {
        const [actions, adjustments] = await Promise.all([tx.listDiscrepancyActions(stored.id), tx.listSettlementAdjustments({ discrepancyId: stored.id })]);
        answer = { ...stored, actions, adjustment: adjustments[0] ?? null };
        const nowMs = options.clock.nowMs();
        await tx.insertIdempotency({ scope, key, requestHash, paymentId: null, state: 'done', responseStatus: 200, responseBody: JSON.stringify(answer), createdAtMs: nowMs, updatedAtMs: nowMs });
      });
      return reply.code(200).send(answer);
    } catch (error) {
      if (isReswipeError(error)) {
        const raced = await replayed();
        if (raced !== null) return raced;
      }
      throw error;
    }
  }

  app.post<{ Params: Static<typeof idParams>; Body: Static<typeof actionBody>; Headers: Static<typeof idempotencyHeaders> }>(
    '/reconciliation/discrepancies/:id/actions',
    {
      schema: {
        summary: 'Act on a discrepancy: investigate, note, resolve with an adjustment, or write off',
        description:
          "resolve needs adjustmentMinor (signed fen, not 0) and a merchant (the discrepancy's, or merchantId): the adjustment joins the merchant's next settlement batch. resolved and written_off are final (409 RSW_RECON_ACTION_REFUSED). Audited; raises recon.discrepancy_changed.",
        tags,
        security,
        params: idParams,
        headers: idempotencyHeaders,
        body: actionBody,
        response: { 200: discrepancyViewSchema, ...errors, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request.principal);
      const { id } = request.params;
      const { note, adjustmentMinor, merchantId } = request.body;
      const action = request.body.action as DiscrepancyActionKind;
      return idempotent(reply, actor, request.headers['idempotency-key'], { id, action, note, adjustmentMinor, merchantId }, (storeKey) =>
        options.useCases.act({ discrepancyId: id, actor, action, note, adjustmentMinor, merchantId, inTx: storeKey }),
      );
    },
  );
}
