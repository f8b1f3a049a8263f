// Payouts over HTTP (docs/payouts.md), admin keys only: list and show payouts, import the bank's
// answer file (text/plain, RSWANS v1), which marks payouts paid or failed, and record a merchant's
// payout account (the number sealed at once, answered masked). Making payouts and writing
// the transfer file stay on the command line (`reswipe payouts create|export`): the file holds clear
// account numbers and goes to the bank through the operator's own channel, never over this API.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { answerFileBytesMax } from '../../../core/payouts/answer-file-limits.ts';
import type { PayoutUseCases } from '../../../core/ports/payout-use-cases.ts';
import { toPayoutView } from '../../../core/payouts/payout-view.ts';
import { payoutStates } from '../../../core/payouts/payout-state.ts';
import type { PayoutQuery, Store } from '../../../core/ports/store.ts';
import type { Clock } from '../../../core/time/clock.ts';
import { actorOf, type ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';

export interface PayoutRoutesOptions {
  store: Store;
  auth: ApiAuth;
  clock: Clock;
  /** fees.settlementTimeZone: local dates of arrival. */
  timeZone: string;
  /** Listing, answer import and account changes (src/app/payouts, bound to the same store). */
  useCases: PayoutUseCases;
}

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const datePattern = '^\\d{4}-\\d{2}-\\d{2}$';
const idPattern = '^[A-Za-z0-9_.-]{1,128}$';

export const payoutView = Type.Object(
  {
    id: Type.String(),
    batchId: Type.String(),
    merchantId: Type.String(),
    businessDate: Type.String(),
    attempt: Type.Integer(),
    amountMinor: Type.Integer(),
    amountYuan: Type.String(),
    currency: Type.String(),
    settleMode: Type.String(),
    bankCode: Type.String(),
    accountName: Type.String(),
    accountNumberMasked: Type.String({ description: 'only the last four digits: `****1234`' }),
    state: Type.Union(payoutStates.map((state) => Type.Literal(state))),
    fileId: Type.Union([Type.String(), Type.Null()]),
    expectedArrivalDate: Type.String({ description: 'T+1: next working day after the business date; D0: the business date (later if sent later)' }),
    actualArrivalDate: Type.Union([Type.String(), Type.Null()], { description: 'local date the bank confirmed the credit' }),
    late: Type.Boolean(),
    bankReference: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([
      Type.Object({ code: Type.String(), zh: Type.String(), en: Type.String(), party: Type.String(), bankText: Type.Union([Type.String(), Type.Null()]) }),
      Type.Null(),
    ]),
    createdAt: Type.String(),
    sentAt: Type.Union([Type.String(), Type.Null()]),
    answeredAt: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'A payout; the account number is never shown in full' },
);

export const payoutListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union(payoutStates.map((state) => Type.Literal(state)))),
    date: Type.Optional(Type.String({ pattern: datePattern })),
    from: Type.Optional(Type.String({ pattern: datePattern })),
    to: Type.Optional(Type.String({ pattern: datePattern })),
  },
  { additionalProperties: false },
);

export function payoutQueryOf(query: { state?: PayoutQuery['state']; date?: string; from?: string; to?: string }): PayoutQuery {
  const fromDate = query.date ?? query.from;
  const toDate = query.date ?? query.to;
  return {
    ...(query.state === undefined ? {} : { state: query.state }),
    ...(fromDate === undefined ? {} : { fromDate }),
    ...(toDate === undefined ? {} : { toDate }),
  };
}

export async function payoutRoutes(app: FastifyInstance, options: PayoutRoutesOptions): Promise<void> {
  const { clock, timeZone } = options;
  app.addHook('onRequest', options.auth.guard);

  app.get<{ Querystring: { merchantId?: string; fileId?: string; state?: PayoutQuery['state']; date?: string; from?: string; to?: string } }>(
    '/payouts',
    {
      schema: {
        summary: 'Payouts by merchant, state, business date or transfer file (admin)',
        tags: ['payouts'],
        security,
        querystring: Type.Object(
          { ...payoutListQuery.properties, merchantId: Type.Optional(Type.String({ pattern: idPattern })), fileId: Type.Optional(Type.String({ pattern: idPattern })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(payoutView) }), ...errors },
      },
    },
    async (request) => {
      const { merchantId, fileId } = request.query;
      const query: PayoutQuery = { ...payoutQueryOf(request.query), ...(merchantId === undefined ? {} : { merchantId }), ...(fileId === undefined ? {} : { fileId }) };
      return { data: await options.useCases.list(query, timeZone) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/payouts/:id',
    {
      schema: {
        summary: 'One payout (admin)',
        tags: ['payouts'],
        security,
        params: Type.Object({ id: Type.String({ pattern: idPattern }) }),
        response: { 200: payoutView, ...errors },
      },
    },
    async (request) => options.useCases.show(request.params.id, timeZone),
  );

  app.post<{ Body: string }>(
    '/payouts/answers',
    {
      bodyLimit: answerFileBytesMax,
      schema: {
        summary: "Import the bank's answer file (text/plain, RSWANS v1, docs/payouts.md): payouts become paid or failed; all lines or none",
        tags: ['payouts'],
        security,
        body: Type.String({ description: 'the answer file, UTF-8' }),
        response: {
          200: Type.Object({ fileId: Type.String(), paid: Type.Integer(), failed: Type.Integer(), unchanged: Type.Integer(), payouts: Type.Array(payoutView) }),
          ...errors,
          409: problemSchema,
        },
      },
    },
    async (request) => {
      const result = await options.useCases.importAnswer(request.body, { actor: actorOf(request.principal), nowMs: clock.nowMs() }, 'request body');
      return { fileId: result.fileId, paid: result.paid, failed: result.failed, unchanged: result.unchanged, payouts: result.payouts.map((payout) => toPayoutView(payout, timeZone)) };
    },
  );

  app.put<{ Params: { id: string }; Body: { bankCode: string; accountName: string; accountNumber: string } }>(
    '/merchants/:id/payout-account',
    {
      schema: {
        summary: "Record a merchant's payout account (admin); the number is sealed and never shown again in full",
        tags: ['payouts'],
        security,
        params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }),
        body: Type.Object(
          {
            bankCode: Type.String({ maxLength: 32, description: '12-digit CNAPS bank code (联行号)' }),
            accountName: Type.String({ maxLength: 200, description: 'account holder name as the bank has it (户名), at most 60 characters' }),
            accountNumber: Type.String({ maxLength: 64, description: '8 to 32 digits; spaces and dashes are dropped' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ merchantId: Type.String(), bankCode: Type.String(), accountName: Type.String(), accountNumberMasked: Type.String(), updatedAt: Type.String() }), ...errors },
      },
    },
    async (request) => options.useCases.setAccount(request.params.id, request.body, { actor: actorOf(request.principal), nowMs: clock.nowMs() }),
  );
}
