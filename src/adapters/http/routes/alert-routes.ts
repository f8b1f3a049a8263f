// Alerts over HTTP (admin keys only, every change audited; docs/alerts.md):
//   GET    /v1/alert-rules              the rules in force (shipped, configured, changed here)
//   PUT    /v1/alert-rules/{id}         replace or add one rule (validated like the config's)
//   GET    /v1/alerts                   alerts, newest first (?state=firing|resolved)
//   POST   /v1/alert-silences           silence matching alerts until endsAt
//   GET    /v1/alert-silences           silences not over yet
//   DELETE /v1/alert-silences/{id}      end a silence now
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../../../core/ports/store.ts';
import type { Clock } from '../../../core/time/clock.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { alertKinds, parseAlertRule, type AlertKind, type AlertRule } from '../../../core/alerts/alert-rule.ts';
import { runbookPathOf, silenceProblem, type AlertRecord, type SilenceRecord } from '../../../core/alerts/alert-model.ts';
import { alertRuleError, effectiveAlertRules } from '../../../core/alerts/effective-alert-rules.ts';
import { actorOf, type ApiAuth } from '../auth.ts';
import { auditInTx } from '../audit-trail.ts';
import { problemSchema } from '../problem.ts';

export interface AlertRoutesOptions {
  store: Store;
  clock: Clock;
  auth: ApiAuth;
  configuredRules: readonly AlertRule[];
  runbookBaseUrl: string;
}

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const anyObject = Type.Object({}, { additionalProperties: true });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function alertRoutes(app: FastifyInstance, options: AlertRoutesOptions): Promise<void> {
  const { store, clock } = options;
  app.addHook('onRequest', options.auth.guard);
  const rules = async () => effectiveAlertRules(options.configuredRules, await store.listAlertRuleOverrides());
  const ruleView = (rule: AlertRule) => ({ ...rule, runbook: `${options.runbookBaseUrl}${runbookPathOf(rule.kind)}` });

  app.get('/alert-rules', { schema: { summary: 'The alert rules in force', tags: ['alerts'], security, response: { 200: Type.Object({ data: Type.Array(anyObject) }), ...errors } } }, async () => ({ data: (await rules()).map(ruleView) }));

  const ruleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' }) });
  app.put<{ Params: Static<typeof ruleParams>; Body: Record<string, unknown> }>(
    '/alert-rules/:id',
    { schema: { summary: 'Replace (or add) one alert rule; the body is the whole rule, checked like the config', tags: ['alerts'], security, params: ruleParams, body: Type.Object({}, { additionalProperties: true }), response: { 200: anyObject, ...errors } } },
    async (request) => {
      let rule: AlertRule;
      try {
        rule = parseAlertRule({ ...request.body, id: request.params.id }, 'rule');
      } catch (error) {
        throw alertRuleError(error);
      }
      const nowMs = clock.nowMs();
      await store.write(async (tx) => {
        await tx.upsertAlertRuleOverride({ id: rule.id, rule: { ...rule }, updatedAtMs: nowMs, updatedBy: actorOf(request.principal) });
        await auditInTx(tx, request, 'alert_rule.change', rule.id, { rule: { ...rule } }, nowMs);
      });
      return ruleView(rule);
    },
  );

  const alertsQuery = Type.Object({ state: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false });
  app.get<{ Querystring: Static<typeof alertsQuery> }>(
    '/alerts',
    { schema: { summary: 'Alerts, newest first', tags: ['alerts'], security, querystring: alertsQuery, response: { 200: Type.Object({ data: Type.Array(anyObject) }), ...errors } } },
    async (request) => ({
      data: (await store.listAlerts({ limit: request.query.limit, ...(request.query.state === undefined ? {} : { state: request.query.state }) })).map((alert: AlertRecord) => ({
        id: alert.id,
        ruleId: alert.ruleId,
        kind: alert.kind,
        severity: alert.severity,
        state: alert.state,
        labels: alert.labels,
        members: alert.members,
        detail: alert.detail,
        silenced: alert.silenced,
        startedAt: iso(alert.startedAtMs),
        resolvedAt: iso(alert.resolvedAtMs),
        lastNotifiedAt: iso(alert.notifiedAtMs),
        runbook: `${options.runbookBaseUrl}${runbookPathOf(alert.kind)}`,
      })),
    }),
  );

  const silenceBody = Type.Object(
    {
      matchers: Type.Object(
        {
          ruleId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          kind: Type.Optional(Type.Union(alertKinds.map((kind) => Type.Literal(kind)))),
          labels: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 128 }))),
        },
        { additionalProperties: false },
      ),
      reason: Type.String({ minLength: 1, maxLength: 500 }),
      startsAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
      endsAt: Type.String({ format: 'date-time', maxLength: 40 }),
    },
    { additionalProperties: false },
  );
  const silenceView = (silence: SilenceRecord) => ({ id: silence.id, matchers: silence.matchers, reason: silence.reason, createdBy: silence.createdBy, startsAt: iso(silence.startsAtMs), endsAt: iso(silence.endsAtMs) });
  app.post<{ Body: Static<typeof silenceBody> }>(
    '/alert-silences',
    { schema: { summary: 'Silence matching alerts (they still fire and are listed; no notice goes out) until endsAt', tags: ['alerts'], security, body: silenceBody, response: { 201: anyObject, ...errors } } },
    async (request, reply) => {
      const nowMs = clock.nowMs();
      const startsAtMs = request.body.startsAt === undefined ? nowMs : Date.parse(request.body.startsAt);
      const endsAtMs = Date.parse(request.body.endsAt);
      const matchers = { ...request.body.matchers, ...(request.body.matchers.kind === undefined ? {} : { kind: request.body.matchers.kind as AlertKind }) };
      const problem = silenceProblem({ matchers, reason: request.body.reason, startsAtMs, endsAtMs });
      if (problem !== null || Number.isNaN(startsAtMs) || Number.isNaN(endsAtMs)) throw new ReswipeError('RSW_SILENCE_INVALID', { field: problem?.field ?? 'endsAt', reason: problem?.reason ?? 'must be an ISO 8601 time' });
      const silence: SilenceRecord = { id: `sil_${randomBytes(8).toString('hex')}`, matchers, reason: request.body.reason, createdBy: actorOf(request.principal), startsAtMs, endsAtMs, createdAtMs: nowMs };
      await store.write(async (tx) => {
        await tx.insertSilence(silence);
        await auditInTx(tx, request, 'alert_silence.create', silence.id, { matchers, reason: silence.reason, endsAtMs }, nowMs);
      });
      return reply.code(201).send(silenceView(silence));
    },
  );
  app.get('/alert-silences', { schema: { summary: 'Silences not over yet', tags: ['alerts'], security, response: { 200: Type.Object({ data: Type.Array(anyObject) }), ...errors } } }, async () => ({
    data: (await store.listSilences(clock.nowMs())).map(silenceView),
  }));
  const silenceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
  app.delete<{ Params: Static<typeof silenceParams> }>(
    '/alert-silences/:id',
    { schema: { summary: 'End a silence now', tags: ['alerts'], security, params: silenceParams, response: { 200: Type.Object({ id: Type.String() }), ...errors } } },
    async (request) => {
      const nowMs = clock.nowMs();
      await store.write(async (tx) => {
        if (!(await tx.endSilence(request.params.id, nowMs))) throw new ReswipeError('RSW_SILENCE_NOT_FOUND', { id: request.params.id, field: 'id' });
        await auditInTx(tx, request, 'alert_silence.end', request.params.id, {}, nowMs);
      });
      return { id: request.params.id };
    },
  );
}
