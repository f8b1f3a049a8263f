// Errors of the HTTP API as application/problem+json (RFC 9457): {type, title, status, code, detail,
// field?, reason?, requestId?}, where `code` is the stable error-catalogue code. One error handler turns
// every failure into that shape. It never echoes what the client sent: Fastify's JSON parser message can
// quote the body (and so a card number), so parser and schema failures get fixed texts naming the
// field only. And it never tells a client what only operators should know: a server-side failure
// (5xx) gets a fixed text per code, while the driver message, addresses and SQL go to ONE error log
// line carrying the same requestId as the body, so both sides can quote it (docs/errors.md).
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { ErrorCode } from '../../core/errors/catalogue.ts';
import { maskPansInText } from '../../core/cards/pan.ts';

export const problemContentType = 'application/problem+json';

export const problemSchema = Type.Object(
  {
    type: Type.String({ description: 'urn:reswipe:error:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'stable error-catalogue code (docs/errors.md)' }),
    detail: Type.String(),
    field: Type.Optional(Type.String({ description: 'the field that was wrong, as a dotted path (card.expiry)' })),
    reason: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String({ description: 'the id of this request in the gateway log; quote it when reporting a server-side failure' })),
  },
  { description: 'application/problem+json' },
);

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  field?: string;
  reason?: string;
  requestId?: string;
}

/**
 * What a client reads for a server-side failure, by code: fixed texts, because the message of such an
 * error holds what only operators should read (`ECONNREFUSED 10.20.0.9:5432`, `relation "payments" does
 * not exist`, `SQLITE_FULL`). Any other 5xx code gets serverFailureText.
 */
export const serverFailureTexts: Readonly<Partial<Record<ErrorCode, string>>> = {
  RSW_STORE_UNAVAILABLE: 'the database is unavailable; retry later',
  RSW_STORE_BUSY: 'the database is busy; retry',
  RSW_STORE_FAULT: 'the database refused the operation; the gateway log has the cause',
  RSW_STORE_OVERLOADED: 'too many writes are waiting for the database; retry later',
  RSW_STORE_UNIT_TIMEOUT: 'the database took too long; retry later',
  RSW_STORE_CLOSED: 'the gateway is shutting down; retry on another node or later',
  RSW_INTERNAL: 'internal error; the gateway log has the cause',
};
export const serverFailureText = 'the gateway could not complete the request; the gateway log has the cause';

/** The problem a client gets for a server-side failure: code and status kept, the message replaced by a fixed text. */
export function serverFailureProblem(error: ReswipeError, requestId: string): Problem {
  return { ...problemOf(error.httpStatus, error.code, serverFailureTexts[error.code] ?? serverFailureText), requestId };
}

export function problemOf(status: number, code: string, detail: string, extra: { field?: string | undefined; reason?: string | undefined } = {}): Problem {
  return {
    type: `urn:reswipe:error:${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code,
    detail: maskPansInText(detail),
    ...(extra.field === undefined ? {} : { field: maskPansInText(extra.field) }),
    ...(extra.reason === undefined ? {} : { reason: maskPansInText(extra.reason) }),
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(problemContentType).send(JSON.stringify(problem));
}

/** The problem for a ReswipeError: its catalogue status, code and message. */
export function problemOfError(error: ReswipeError): Problem {
  const reason = typeof error.params.reason === 'string' ? error.params.reason : undefined;
  return problemOf(error.httpStatus, error.code, error.message, { field: error.field, reason });
}

interface ValidationItem {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** `/card/expiry` plus a missing or extra property → `card.expiry`; header names stay as they are. */
export function fieldOfValidation(item: ValidationItem | undefined): string | undefined {
  if (item === undefined) return undefined;
  const path = (item.instancePath ?? '')
    .replace(/^\//, '')
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const named = item.params?.missingProperty ?? item.params?.additionalProperty;
  if (typeof named === 'string') return path === '' ? named : `${path}.${named}`;
  return path === '' ? undefined : path;
}

function reasonOfValidation(item: ValidationItem | undefined): string {
  if (item === undefined) return 'is invalid';
  if (item.keyword === 'required') return 'is required';
  if (item.keyword === 'additionalProperties') return 'is not a known field';
  // Ajv messages name the rule (`must match pattern "^[0-9]{4}$"`), never the value.
  return item.message ?? 'is invalid';
}

/** Maps Fastify's own error codes to a fixed text that cannot contain request data. */
const fastifyErrorTexts: Readonly<Record<string, { status: number; code: ErrorCode; field: string; reason: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'RSW_HTTP_VALIDATION', field: 'body', reason: 'is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'RSW_HTTP_VALIDATION', field: 'body', reason: 'is empty' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'RSW_HTTP_VALIDATION', field: 'content-type', reason: 'must be application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'RSW_HTTP_VALIDATION', field: 'content-length', reason: 'does not match the body' },
};

/**
 * The error handler of the whole API (plugins with their own handler pass server-side failures up to it).
 * `logError` is called exactly once per server-side failure, with the request id, the code and the whole
 * error (the logger masks card numbers and passwords, never the driver text operators need).
 */
export function createErrorHandler(options: { bodyBytesMax: number; logError: (details: object) => void }) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (isReswipeError(error)) {
      if (error.httpStatus < 500) return sendProblem(reply, { ...problemOfError(error), requestId: request.id });
      options.logError({ requestId: request.id, method: request.method, route: request.routeOptions.url ?? 'unknown', code: error.code, error });
      return sendProblem(reply, serverFailureProblem(error, request.id));
    }
    if (error.validation !== undefined) {
      const first = error.validation[0] as ValidationItem | undefined;
      const field = fieldOfValidation(first) ?? error.validationContext ?? 'request';
      if (error.validationContext === 'headers' && field === 'idempotency-key') {
        return sendProblem(reply, problemOfError(new ReswipeError('RSW_IDEMPOTENCY_KEY_MISSING', { field })));
      }
      return sendProblem(reply, problemOfError(new ReswipeError('RSW_HTTP_VALIDATION', { field, reason: reasonOfValidation(first) })));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendProblem(reply, problemOfError(new ReswipeError('RSW_HTTP_BODY_TOO_LARGE', { bytesMax: options.bodyBytesMax })));
    }
    const known = fastifyErrorTexts[error.code];
    if (known !== undefined) {
      const problem = problemOfError(new ReswipeError(known.code, { field: known.field, reason: known.reason }));
      return sendProblem(reply, { ...problem, status: known.status, title: STATUS_CODES[known.status] ?? problem.title });
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Some other client error Fastify raised; its message is not trusted to be free of request data.
      const problem = problemOfError(new ReswipeError('RSW_HTTP_VALIDATION', { field: 'request', reason: `was refused (${error.code ?? 'client error'})` }));
      return sendProblem(reply, { ...problem, status, title: STATUS_CODES[status] ?? problem.title });
    }
    options.logError({ requestId: request.id, method: request.method, route: request.routeOptions.url ?? 'unknown', code: 'RSW_INTERNAL', error });
    return sendProblem(reply, serverFailureProblem(new ReswipeError('RSW_INTERNAL', { detail: 'see the gateway log' }), request.id));
  };
}
