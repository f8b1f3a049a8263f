// Console sessions and users (docs/console-access.md): log in and out, the current session, a user's own
// password, and the admins' user management. Registered only when console.enabled is true. What each
// route needs is in src/core/access/route-permissions.ts (the guard checks it, and a session's CSRF
// token on everything but the login). Logins, failed logins (never the password), logouts and every
// user change are audited.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Store, StoreTx } from '../../../core/ports/store.ts';
import type { LoggerLike } from '../../../core/ports/channel.ts';
import type { ConsoleUserRecord } from '../../../core/ports/console-access-store.ts';
import { isReswipeError, ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { merchantsPerUserMax, roles } from '../../../core/access/permissions.ts';
import { passwordCharsMax, userNameCharsMax } from '../../../core/access/console-user-rules.ts';
import type { ApiAuth } from '../auth.ts';
import { auditRecordOf } from '../audit-trail.ts';
import { problemSchema } from '../problem.ts';
import { clearedSessionCookie, sessionCookie, type ConsoleSessions } from '../console-sessions.ts';
import { changeOwnPassword, consoleUserView, createConsoleUser, httpInvalidInput, resetConsoleUserPassword, updateConsoleUser, type UserAudit } from '../console-users.ts';

export interface ConsoleAccessRoutesOptions {
  store: Store;
  auth: ApiAuth;
  sessions: ConsoleSessions;
  nowMs: () => number;
  logger: LoggerLike;
  /** The listener speaks TLS: cookies get Secure. */
  secureCookies: boolean;
}

const roleSchema = Type.Union(
  roles.map((role) => Type.Literal(role)),
  { description: 'admin, operator, merchant, cashier or auditor (docs/console-access.md)' },
);
const merchantIdsSchema = Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }), { maxItems: merchantsPerUserMax, description: 'merchant: one or more; cashier: exactly one; other roles: none' });
const userNameSchema = Type.String({ minLength: 1, maxLength: userNameCharsMax, pattern: '^[a-z0-9][a-z0-9._-]*$' });

const sessionView = Type.Object({
  user: Type.Object({ name: Type.String(), role: roleSchema, merchantIds: Type.Array(Type.String()) }),
  csrfToken: Type.String({ description: 'send back as X-CSRF-Token on every POST, PUT, PATCH and DELETE' }),
  idleTimeoutSeconds: Type.Integer({ description: 'the session ends after this long without a request' }),
});
const userView = Type.Object({
  name: Type.String(),
  role: roleSchema,
  merchantIds: Type.Array(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Type.String({ description: 'ISO 8601 UTC' }),
  updatedAt: Type.String({ description: 'ISO 8601 UTC' }),
  passwordChangedAt: Type.String({ description: 'ISO 8601 UTC' }),
});
const userWithPassword = Type.Object({ user: userView, password: Type.String({ description: 'generated; shown only in this answer, never stored' }) });
const loginBody = Type.Object(
  { user: Type.String({ minLength: 1, maxLength: userNameCharsMax }), password: Type.String({ minLength: 1, maxLength: passwordCharsMax }) },
  { additionalProperties: false },
);
const passwordChangeBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: passwordCharsMax }), newPassword: Type.String({ minLength: 1, maxLength: passwordCharsMax, description: 'at least 12 characters; see docs/console-access.md' }) },
  { additionalProperties: false },
);
const userCreateBody = Type.Object({ name: userNameSchema, role: roleSchema, merchantIds: Type.Optional(merchantIdsSchema) }, { additionalProperties: false });
const userPatchBody = Type.Object({ role: Type.Optional(roleSchema), merchantIds: Type.Optional(merchantIdsSchema), disabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false, minProperties: 1 });
const nameParams = Type.Object({ name: userNameSchema });

const security: Array<Record<string, string[]>> = [{ sessionCookie: [] }, { bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 429: problemSchema };

function sessionAnswer(user: ConsoleUserRecord, csrfToken: string, idleMs: number): Static<typeof sessionView> {
  return { user: { name: user.name, role: user.role, merchantIds: [...user.merchantIds] }, csrfToken, idleTimeoutSeconds: Math.round(idleMs / 1000) };
}

/** The audit writer of a request's user changes. */
function auditOf(request: FastifyRequest, nowMs: number): UserAudit {
  return (tx, action, subjectId, detail) => tx.appendAudit(auditRecordOf(request, action, subjectId, detail, nowMs));
}

/** A throttled login also says when to come back. */
function withRetryAfter(reply: FastifyReply, error: unknown): never {
  if (isReswipeError(error) && error.code === 'RSW_LOGIN_THROTTLED') void reply.header('retry-after', String(error.params.retryAfterS ?? 1));
  throw error;
}

export async function consoleAccessRoutes(app: FastifyInstance, options: ConsoleAccessRoutesOptions): Promise<void> {
  const { store, sessions } = options;
  app.addHook('onRequest', options.auth.guard);

  app.post<{ Body: Static<typeof loginBody> }>(
    '/sessions',
    {
      schema: {
        summary: 'Log in to the console: sets the HttpOnly session cookie and answers the CSRF token',
        description:
          'Unknown user, disabled user and wrong password all answer 401 RSW_LOGIN_FAILED. Five failures for a user name or from a client address within 15 minutes answer 429 RSW_LOGIN_THROTTLED with Retry-After, without checking the password.',
        tags: ['console'],
        body: loginBody,
        response: { 201: sessionView, ...errors },
      },
    },
    async (request, reply) => {
      const { user: userName, password } = request.body;
      const nowMs = options.nowMs();
      const opened = await sessions
        .logIn(userName, password, request.ip, async (tx: StoreTx, outcome, user) => {
          const record = auditRecordOf(request, outcome === 'login' ? 'session.login' : 'session.login_failed', userName, outcome === 'login' ? { role: user?.role } : { user: userName }, nowMs);
          await tx.appendAudit(outcome === 'login' ? { ...record, actor: `user:${userName}` } : record);
        })
        .catch((error: unknown) => withRetryAfter(reply, error));
      void reply.header('set-cookie', sessionCookie(opened.sessionId, options.secureCookies));
      return reply.code(201).send(sessionAnswer(opened.user, opened.session.csrfToken, sessions.settings.idleMs));
    },
  );

  app.get('/sessions/current', { schema: { summary: 'The session of the cookie: user, role, merchants and CSRF token', tags: ['console'], security, response: { 200: sessionView, ...errors } } }, async (request) => {
    const principal = request.principal;
    const user = principal?.user === null || principal?.user === undefined ? null : await store.getConsoleUser(principal.user);
    if (user === null || principal?.session === null || principal?.session === undefined) throw new ReswipeError('RSW_SESSION_MISSING');
    return sessionAnswer(user, principal.session.csrfToken, sessions.settings.idleMs);
  });

  app.delete('/sessions/current', { schema: { summary: 'Log out: ends the session and clears the cookie', tags: ['console'], security, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const session = request.principal?.session;
    if (session === null || session === undefined) throw new ReswipeError('RSW_SESSION_MISSING');
    const nowMs = options.nowMs();
    await store.write(async (tx) => {
      await tx.deleteConsoleSession(session.idHash);
      await tx.appendAudit(auditRecordOf(request, 'session.logout', request.principal?.user ?? null, {}, nowMs));
    });
    void reply.header('set-cookie', clearedSessionCookie(options.secureCookies));
    return reply.code(204).send();
  });

  app.post<{ Body: Static<typeof passwordChangeBody> }>(
    '/sessions/current/password',
    {
      schema: {
        summary: "Change one's own password (the current one is required); the user's other sessions end",
        tags: ['console'],
        security,
        body: passwordChangeBody,
        response: { 204: Type.Null(), ...errors, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.session === null || principal?.session === undefined || principal.user === null) throw new ReswipeError('RSW_SESSION_MISSING');
      const nowMs = options.nowMs();
      await changeOwnPassword(
        store,
        { name: principal.user, currentPassword: request.body.currentPassword, newPassword: request.body.newPassword, keepSessionIdHash: principal.session.idHash, clientAddress: request.ip },
        nowMs,
        auditOf(request, nowMs),
      ).catch((error: unknown) => withRetryAfter(reply, error));
      return reply.code(204).send();
    },
  );

  // ---- users (admins) ----
  app.get('/users', { schema: { summary: 'Console users (never a password)', tags: ['console'], security, response: { 200: Type.Object({ data: Type.Array(userView) }), ...errors } } }, async () => ({
    data: (await store.listConsoleUsers()).map(consoleUserView),
  }));

  app.get<{ Params: Static<typeof nameParams> }>('/users/:name', { schema: { summary: 'One console user', tags: ['console'], security, params: nameParams, response: { 200: userView, ...errors } } }, async (request) => {
    const user = await store.getConsoleUser(request.params.name);
    if (user === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'user', id: request.params.name, field: 'name' });
    return consoleUserView(user);
  });

  app.post<{ Body: Static<typeof userCreateBody> }>(
    '/users',
    { schema: { summary: 'Create a console user; the generated password is in this answer only', tags: ['console'], security, body: userCreateBody, response: { 201: userWithPassword, ...errors, 409: problemSchema } } },
    async (request, reply) => {
      const nowMs = options.nowMs();
      const created = await createConsoleUser(store, { name: request.body.name, role: request.body.role, merchantIds: request.body.merchantIds ?? [] }, nowMs, auditOf(request, nowMs), httpInvalidInput);
      return reply.code(201).send({ user: consoleUserView(created.user), password: created.password });
    },
  );

  app.patch<{ Params: Static<typeof nameParams>; Body: Static<typeof userPatchBody> }>(
    '/users/:name',
    {
      schema: {
        summary: "Change a user's role, merchants or disabled flag; disabling ends the user's sessions at once",
        tags: ['console'],
        security,
        params: nameParams,
        body: userPatchBody,
        response: { 200: userView, ...errors },
      },
    },
    async (request) => {
      const nowMs = options.nowMs();
      const { role, merchantIds, disabled } = request.body;
      const user = await updateConsoleUser(
        store,
        request.params.name,
        { ...(role === undefined ? {} : { role }), ...(merchantIds === undefined ? {} : { merchantIds }), ...(disabled === undefined ? {} : { disabled }) },
        nowMs,
        auditOf(request, nowMs),
        httpInvalidInput,
      );
      return consoleUserView(user);
    },
  );

  app.post<{ Params: Static<typeof nameParams> }>(
    '/users/:name/password-reset',
    { schema: { summary: "Give a user a new generated password (in this answer only); ends the user's sessions", tags: ['console'], security, params: nameParams, response: { 200: userWithPassword, ...errors } } },
    async (request) => {
      const nowMs = options.nowMs();
      const reset = await resetConsoleUserPassword(store, request.params.name, nowMs, auditOf(request, nowMs));
      return { user: consoleUserView(reset.user), password: reset.password };
    },
  );
}
