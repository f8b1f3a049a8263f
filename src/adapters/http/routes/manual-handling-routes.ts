// Manual handling over HTTP (admin keys only; docs/reversals.md, "Manual handling"):
//   GET  /v1/manual-handling                          the open work list, most recently flagged first
//   GET  /v1/manual-handling/{paymentId}              one flagged payment, open or resolved
//   POST /v1/manual-handling/{paymentId}/retry        re-queue its dead reversal(s) now
//   POST /v1/manual-handling/{paymentId}/resolve      {outcome: charged | not-charged, note}
// The POSTs take an Idempotency-Key like every other route that moves money: the same key and body
// replay the first answer, another body is 422. Rules live in src/core (decideManualHandling), the
// use cases in src/app/manual-handling (reached through the ManualHandlingUseCases port); this file only
// turns HTTP into them and back.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { requestHashOf } from '../../../core/payments/request-hash.ts';
import type { ManualHandlingUseCases } from '../../../core/ports/manual-handling-use-cases.ts';
import { isReswipeError, ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { resolutionNoteCharsMax, type ManualHandlingView } from '../../../core/payments/manual-handling-view.ts';
import type { Store, StoreTx } from '../../../core/ports/store.ts';
import type { Clock } from '../../../core/time/clock.ts';
import { actorOf, type ApiAuth } from '../auth.ts';
import { problemOfError, problemSchema, sendProblem } from '../problem.ts';
import { idempotencyKeyCharsMax } from './payment-routes.ts';

export interface ManualHandlingRoutesOptions {
  store: Store;
  clock: Clock;
  useCases: ManualHandlingUseCases;
  auth: ApiAuth;
}

/** The store's own cap on one list read. */
export const manualHandlingListMax = 1000;

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const manualHandlingViewSchema = Type.Object(
  {
    id: Type.String({ description: 'the payment id' }),
    manualHandlingSince: Type.String({ description: 'ISO 8601 UTC: when its reversal was dead-lettered' }),
    state: Type.Union([Type.Literal('open'), Type.Literal('retrying'), Type.Literal('resolved')], {
      description: 'open: waits for an operator; retrying: a retried reversal is in the queue; resolved: final',
    }),
    status: Type.String({ description: 'the payment status (pending, approved, declined, reversed, voided)' }),
    kind: Type.String(),
    merchantId: Type.String(),
    terminalId: nullable(Type.String()),
    amountMinor: Type.Integer(),
    currency: Type.String(),
    cardMasked: Type.String({ description: 'first 6 and last 4 digits' }),
    terminalStan: nullable(Type.String()),
    rrn: nullable(Type.String()),
    createdAt: Type.String(),
    reversals: Type.Array(
      Type.Object({
        id: Type.String(),
        attemptSeq: Type.Integer(),
        channel: Type.String(),
        state: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('dead')]),
        tries: Type.Integer(),
        lastError: nullable(Type.String()),
      }),
    ),
    resolution: nullable(
      Type.Object({
        outcome: Type.Union([Type.Literal('charged'), Type.Literal('not-charged'), Type.Literal('reversed')], {
          description: 'reversed: a retried reversal was confirmed by the bank',
        }),
        note: Type.String(),
        actor: Type.String({ description: 'key:<id>, cli:<os user> or reversal-worker' }),
        at: Type.String(),
      }),
    ),
  },
  { description: 'a payment flagged for manual handling' },
);

const paymentParams = Type.Object({ paymentId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const idempotencyHeaders = Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: idempotencyKeyCharsMax }) });
const noteSchema = Type.String({ minLength: 1, maxLength: resolutionNoteCharsMax, description: 'what the bank said: who, when, their reference (never a card number)' });
const retryBody = Type.Object({ note: Type.Optional(noteSchema) }, { additionalProperties: false });
const resolveBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('charged'), Type.Literal('not-charged')], { description: 'charged: the customer paid; not-charged: no money moved' }),
    note: noteSchema,
  },
  { additionalProperties: false },
);

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const actionResponses = { 200: manualHandlingViewSchema, ...errors, 409: problemSchema, 422: problemSchema };

export async function manualHandlingRoutes(app: FastifyInstance, options: ManualHandlingRoutesOptions): Promise<void> {
  const { store } = options;
  app.addHook('onRequest', options.auth.guard);

  app.get<{ Querystring: { limit: number } }>(
    '/manual-handling',
    {
      schema: {
        summary: 'Payments waiting for manual handling (a reversal was dead-lettered: money may have moved), most recently flagged first',
        tags: ['manual handling'],
        security,
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: manualHandlingListMax, default: 100 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(manualHandlingViewSchema) }), ...errors },
      },
    },
    async (request) => ({ data: await options.useCases.list(request.query.limit) }),
  );

  app.get<{ Params: Static<typeof paymentParams> }>(
    '/manual-handling/:paymentId',
    { schema: { summary: 'One flagged payment, open or resolved', tags: ['manual handling'], security, params: paymentParams, response: { 200: manualHandlingViewSchema, ...errors, 409: problemSchema } } },
    async (request) => {
      const view = await options.useCases.get(request.params.paymentId);
      if (view === null) {
        const exists = (await store.getPayment(request.params.paymentId)) !== null;
        throw new ReswipeError(exists ? 'RSW_MANUAL_NOT_FLAGGED' : 'RSW_MANUAL_PAYMENT_NOT_FOUND', { paymentId: request.params.paymentId, field: 'paymentId' });
      }
      return view;
    },
  );

  /**
   * Runs an action once per (actor, Idempotency-Key). The key and the answer are written in the
   * action's own store write, so either both commit or neither: a retry of the same request replays
   * the answer, and a twin racing it replays the winner's answer.
   */
  async function idempotent(
    reply: FastifyReply,
    actor: string,
    key: string,
    request: unknown,
    run: (storeKey: (tx: StoreTx, view: ManualHandlingView) => Promise<void>) => Promise<ManualHandlingView>,
  ): Promise<FastifyReply> {
    const scope = `manual:${actor}`;
    const requestHash = requestHashOf(request);
    const replayed = async (): Promise<FastifyReply | null> => {
      const record = await store.getIdempotency(scope, key);
      if (record === null) return null;
      if (record.requestHash !== requestHash) return sendProblem(reply, problemOfError(new ReswipeError('RSW_IDEMPOTENCY_MISMATCH', { field: 'idempotency-key' })));
      return reply.code(record.responseStatus ?? 200).send(JSON.parse(record.responseBody ?? 'null') as ManualHandlingView);
    };
    const earlier = await replayed();
    if (earlier !== null) return earlier;
    try {
      const view = await run(async (tx, answer) => {
        const nowMs = options.clock.nowMs();
        await tx.insertIdempotency({ scope, key, requestHash, paymentId: answer.id, state: 'done', responseStatus: 200, responseBody: JSON.stringify(answer), createdAtMs: nowMs, updatedAtMs: nowMs });
      });
      return reply.code(200).send(view);
    } catch (error) {
      // A twin with the same key committed first (this one then hit the key's primary key, or was
      // refused because the twin had already acted): the key's answer is the twin's.
      if (isReswipeError(error)) {
        const raced = await replayed();
        if (raced !== null) return raced;
      }
      throw error;
    }
  }

  app.post<{ Params: Static<typeof paymentParams>; Body: Static<typeof retryBody>; Headers: Static<typeof idempotencyHeaders> }>(
    '/manual-handling/:paymentId/retry',
    {
      schema: {
        summary: 'Send the dead reversal(s) of a flagged payment again now, with a fresh budget',
        description:
          'The payment stays on the list as `retrying`; when the bank confirms the reversal it is resolved as `reversed` (event payment.manual_resolved), when the retry dies too it is `open` again. 409 with a RSW_MANUAL_* code when refused.',
        tags: ['manual handling'],
        security,
        params: paymentParams,
        headers: idempotencyHeaders,
        body: retryBody,
        response: actionResponses,
      },
    },
    async (request, reply) => {
      const actor = actorOf(request.principal);
      const { paymentId } = request.params;
      const note = request.body?.note;
      return idempotent(reply, actor, request.headers['idempotency-key'], { action: 'retry', paymentId, note }, (storeKey) => options.useCases.retry({ paymentId, actor, note, inTx: storeKey }));
    },
  );

  app.post<{ Params: Static<typeof paymentParams>; Body: Static<typeof resolveBody>; Headers: Static<typeof idempotencyHeaders> }>(
    '/manual-handling/:paymentId/resolve',
    {
      schema: {
        summary: 'Resolve a flagged payment as charged or not charged, after asking the bank',
        description:
          'charged: the payment becomes approved and its fee is recorded (it joins its business day\'s settlement); not-charged: it ends reversed, without a fee. Once only: a resolved payment answers 409 RSW_MANUAL_ALREADY_RESOLVED.',
        tags: ['manual handling'],
        security,
        params: paymentParams,
        headers: idempotencyHeaders,
        body: resolveBody,
        response: actionResponses,
      },
    },
    async (request, reply) => {
      const actor = actorOf(request.principal);
      const { paymentId } = request.params;
      const { outcome, note } = request.body;
      return idempotent(reply, actor, request.headers['idempotency-key'], { action: 'resolve', paymentId, outcome, note }, (storeKey) =>
        options.useCases.resolve({ paymentId, actor, outcome, note, inTx: storeKey }),
      );
    },
  );
}
