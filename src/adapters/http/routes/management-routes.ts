// Management of merchants, terminals and channels over HTTP (admin keys only). Bodies are checked by
// the same schema pieces as the config file (config-schema.ts: the merchant and channel item
// schemas are read from configSchema itself, so the two can never disagree), every change is
// written with an audit record in the same store write, and nothing is ever deleted: a merchant or
// terminal is disabled, a channel is disabled.
//
// What takes effect when: merchants and terminals are read from the store on every sale, so a
// change applies to the next sale, on every node (docs/cluster.md, "Live configuration"). A channel's
// priority and `disabled` flag steer routing on every node at once; its host, port, dialect and
// timeout apply when a node restarts (channels are connected at start-up from the config). `serve`
// re-applies the config file's own merchants and channels at start-up.
import type { FastifyInstance } from 'fastify';
import { OptionalKind, Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';
import { builtInDialects, configSchema, terminalReplyMarginMs } from '../../../core/config/config-schema.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import type { ChannelRecord, MerchantRecord, Store, TerminalRecord, TerminalState } from '../../../core/ports/store.ts';
import { buildChannelRecord, buildMerchantRecord, buildTerminalRecord } from '../../../core/ports/defined-records.ts';
import type { Clock } from '../../../core/time/clock.ts';
import { actorOf, merchantsOf, seesMerchant, type ApiAuth } from '../auth.ts';
import { circuitOverrideMinutesMax } from '../../../core/routing/channel-override.ts';
import { auditInTx } from '../audit-trail.ts';
import { problemSchema } from '../problem.ts';

export interface ManagementRoutesOptions {
  store: Store;
  auth: ApiAuth;
  clock: Clock;
  /** engine.terminalTimeoutMs of the running config: a channel must time out sooner (same rule as the config). */
  terminalTimeoutMs: number;
  /** Fee plan names that exist; a merchant naming another plan is refused. Unchecked when absent. */
  feePlanNames?: () => ReadonlySet<string>;
  /** Live monitoring joined to the terminal and channel views as `monitoring` (docs/monitoring.md); absent = stored records only. */
  monitoring?: ManagementMonitoring;
  /** Every gateway node's last view of every channel (docs/cluster.md); absent = GET /v1/channels/health answers this node only. */
  channelHealthOfNodes?: () => Promise<ChannelHealthOfNode[]>;
}

/** One node's view of one channel, as GET /v1/channels/health shows it. */
export interface ChannelHealthOfNode {
  nodeId: string;
  self: boolean;
  channel: string;
  stale: boolean;
  ageMs: number;
  view: Record<string, unknown>;
}

const channelHealthOfNodeView = Type.Object({
  nodeId: Type.String(),
  self: Type.Boolean({ description: 'the node that answered' }),
  channel: Type.String(),
  stale: Type.Boolean({ description: 'the node has not written its view for three intervals: stopped or cut off' }),
  ageMs: Type.Integer(),
  view: Type.Object({}, { additionalProperties: true, description: "connections and circuit as that node sees them" }),
});

/** Terminal stats and channel health from the running gateway (src/app/monitoring, src/app/channels). */
export interface ManagementMonitoring {
  /** The last computed stats of a terminal (list views: no store reads per terminal). */
  terminalCached(id: string): object | null;
  /** Fresh stats of one terminal. */
  terminal(id: string): Promise<object | null>;
  /** Health, circuit, latency percentiles and failover counts of a running channel. */
  channel(name: string): object | null;
}

const monitoringView = Type.Optional(Type.Object({}, { additionalProperties: true, description: 'live monitoring of the running gateway; null before the first check' }));

const terminalStates = ['registered', 'active', 'disabled'] as const satisfies readonly TerminalState[];

/** A deep copy of a schema without `default` keywords: a PATCH must never fill in values it was not given. */
/** The schema of a key that is optional in the config (a card channel's host and port: QR channels have none) but required here. */
function requiredOf<T extends TSchema>(schema: TOptional<T>): T {
  const copy = { ...schema } as unknown as Record<string | symbol, unknown>;
  delete copy[OptionalKind];
  return copy as unknown as T;
}

function withoutDefaults<T extends TSchema>(schema: T): T {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    const copy: Record<string | symbol, unknown> = {};
    for (const key of Reflect.ownKeys(value)) {
      if (key === 'default') continue;
      copy[key] = strip((value as Record<string | symbol, unknown>)[key]);
    }
    return copy;
  };
  return strip(schema) as T;
}

const configMerchant = configSchema.properties.merchants.items;
const configChannel = configSchema.properties.channels.items;
const m = configMerchant.properties;
const c = configChannel.properties;

const merchantCreateSchema = configMerchant;
const merchantPatchSchema = Type.Object(
  {
    name: Type.Optional(withoutDefaults(m.name)),
    mcc: Type.Optional(withoutDefaults(m.mcc)),
    accepts: Type.Optional(withoutDefaults(m.accepts)),
    limits: Type.Optional(withoutDefaults(m.limits)),
    feePlan: Type.Optional(withoutDefaults(m.feePlan)),
    disabled: Type.Optional(Type.Boolean({ description: 'true refuses every sale of the merchant with a local decline' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
const terminalIdSchema = withoutDefaults(m.terminals.items);
const terminalCreateSchema = Type.Object(
  {
    id: terminalIdSchema,
    merchantId: withoutDefaults(m.id),
    state: Type.Optional(Type.Unsafe<TerminalState>({ type: 'string', enum: [...terminalStates], default: 'active' })),
    limits: Type.Optional(withoutDefaults(m.limits)),
  },
  { additionalProperties: false },
);
const terminalPatchSchema = Type.Object(
  {
    state: Type.Optional(Type.Unsafe<TerminalState>({ type: 'string', enum: [...terminalStates] })),
    disabled: Type.Optional(Type.Boolean({ description: 'true is state "disabled"; false makes a disabled terminal active' })),
    limits: Type.Optional(withoutDefaults(m.limits)),
  },
  { additionalProperties: false, minProperties: 1 },
);
const channelCreateSchema = Type.Object(
  {
    name: withoutDefaults(c.name),
    host: withoutDefaults(requiredOf(c.host)),
    port: withoutDefaults(requiredOf(c.port)),
    dialect: c.dialect,
    timeoutMs: c.timeoutMs,
    priority: c.priority,
    disabled: c.disabled,
  },
  { additionalProperties: false },
);
const channelPatchSchema = Type.Object(
  {
    host: Type.Optional(withoutDefaults(c.host)),
    port: Type.Optional(withoutDefaults(c.port)),
    dialect: Type.Optional(withoutDefaults(c.dialect)),
    timeoutMs: Type.Optional(withoutDefaults(c.timeoutMs)),
    priority: Type.Optional(withoutDefaults(c.priority)),
    disabled: Type.Optional(Type.Boolean()),
    draining: Type.Optional(Type.Boolean({ description: 'true: no new sales are routed to it, on every node at once; follow-ups and reversals of its own payments still go to it' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
/** Longest operator note on a forced circuit. */
const circuitNoteLengthMax = 200;
const channelCircuitSchema = Type.Object(
  {
    state: Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Literal('auto')], { description: '`open`: no sales; `closed`: sales whatever the breaker says; `auto`: the breaker decides again' }),
    note: Type.String({ minLength: 1, maxLength: circuitNoteLengthMax, description: 'why (kept with the override, the audit record and the event)' }),
    untilMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: circuitOverrideMinutesMax, description: 'the override ends by itself after this many minutes; absent: until set to auto' })),
  },
  { additionalProperties: false },
);

const limitsView = Type.Object({ perSaleMinor: Type.Optional(Type.Integer()), perDayMinor: Type.Optional(Type.Integer()), perMonthMinor: Type.Optional(Type.Integer()) });
const merchantView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  mcc: Type.String(),
  accepts: Type.Array(Type.String()),
  limits: limitsView,
  feePlan: Type.String(),
  disabled: Type.Boolean(),
  terminals: Type.Array(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const terminalView = Type.Object({
  id: Type.String(),
  merchantId: Type.String(),
  state: Type.String({ enum: [...terminalStates] }),
  signedOn: Type.Boolean(),
  batchNo: Type.String(),
  limits: limitsView,
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  monitoring: monitoringView,
});
const channelView = Type.Object({
  name: Type.String(),
  host: Type.String(),
  port: Type.Integer(),
  dialect: Type.String(),
  timeoutMs: Type.Integer(),
  priority: Type.Integer(),
  disabled: Type.Boolean(),
  draining: Type.Boolean({ description: 'no new sales routed to it; its own payments\' follow-ups still go to it' }),
  circuitOverride: Type.Union([
    Type.Object({
      state: Type.String({ enum: ['open', 'closed'] }),
      note: Type.String(),
      by: Type.String({ description: 'who forced it' }),
      at: Type.String(),
      until: Type.Union([Type.String(), Type.Null()], { description: 'null: until set to auto' }),
      inForce: Type.Boolean({ description: 'false once `until` has passed (the breaker decides again)' }),
    }),
    Type.Null(),
  ]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  monitoring: monitoringView,
});

type MerchantView = Static<typeof merchantView>;
type TerminalView = Static<typeof terminalView>;
type ChannelView = Static<typeof channelView>;

const iso = (ms: number): string => new Date(ms).toISOString();

function toMerchantView(merchant: MerchantRecord, terminals: readonly TerminalRecord[]): MerchantView {
  return {
    id: merchant.id,
    name: merchant.name,
    mcc: merchant.mcc,
    accepts: [...merchant.accepts],
    limits: { ...merchant.limits },
    feePlan: merchant.feePlan,
    disabled: merchant.disabled,
    terminals: terminals.map((terminal) => terminal.id),
    createdAt: iso(merchant.createdAtMs),
    updatedAt: iso(merchant.updatedAtMs),
  };
}

function toTerminalView(terminal: TerminalRecord): TerminalView {
  return {
    id: terminal.id,
    merchantId: terminal.merchantId,
    state: terminal.state,
    signedOn: terminal.signedOn,
    batchNo: terminal.batchNo,
    limits: { ...terminal.limits },
    lastSeenAt: terminal.lastSeenAtMs === null ? null : iso(terminal.lastSeenAtMs),
    createdAt: iso(terminal.createdAtMs),
    updatedAt: iso(terminal.updatedAtMs),
  };
}

function toChannelView(channel: ChannelRecord, nowMs: number): ChannelView {
  const override = channel.circuitOverride;
  return {
    name: channel.name,
    host: channel.host,
    port: channel.port,
    dialect: channel.dialect,
    timeoutMs: channel.timeoutMs,
    priority: channel.priority,
    disabled: channel.disabled,
    draining: channel.draining,
    circuitOverride:
      override === null
        ? null
        : { state: override.state, note: override.note, by: override.byUser, at: iso(override.atMs), until: override.untilMs === null ? null : iso(override.untilMs), inForce: override.untilMs === null || override.untilMs > nowMs },
    createdAt: iso(channel.createdAtMs),
    updatedAt: iso(channel.updatedAtMs),
  };
}

type Limits = MerchantRecord['limits'];

/** The limit relations the config checks too: a sale limit no larger than the day, the day no larger than the month. */
function checkLimits(limits: Limits, field: string): void {
  const { perSaleMinor, perDayMinor, perMonthMinor } = limits;
  if (perSaleMinor !== undefined && perDayMinor !== undefined && perSaleMinor > perDayMinor) {
    throw new ReswipeError('RSW_HTTP_VALIDATION', { field: `${field}.perSaleMinor`, reason: 'must not exceed perDayMinor' });
  }
  if (perDayMinor !== undefined && perMonthMinor !== undefined && perDayMinor > perMonthMinor) {
    throw new ReswipeError('RSW_HTTP_VALIDATION', { field: `${field}.perDayMinor`, reason: 'must not exceed perMonthMinor' });
  }
}

function checkDialect(dialect: string): void {
  if ((builtInDialects as readonly string[]).includes(dialect) || dialect.endsWith('.json')) return;
  throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'dialect', reason: `must be ${builtInDialects.join(' or ')}, or a path to a dialect .json file` });
}

/** Adds `monitoring` when the gateway runs monitoring (absent in a bare management app). */
function withMonitoring<T extends object>(view: T, monitoring: object | null | undefined): T {
  return monitoring === undefined || monitoring === null ? view : { ...view, monitoring };
}

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export async function managementRoutes(app: FastifyInstance, options: ManagementRoutesOptions): Promise<void> {
  const { store, clock } = options;
  app.addHook('onRequest', options.auth.guard);
  const checkFeePlan = (plan: string | undefined) => {
    if (plan === undefined || options.feePlanNames === undefined) return;
    if (!options.feePlanNames().has(plan)) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'feePlan', reason: `no fee plan named '${plan}'` });
  };
  const checkChannelTimeout = (timeoutMs: number | undefined) => {
    if (timeoutMs !== undefined && timeoutMs + terminalReplyMarginMs > options.terminalTimeoutMs) {
      throw new ReswipeError('RSW_HTTP_VALIDATION', {
        field: 'timeoutMs',
        reason: `plus ${terminalReplyMarginMs} ms to answer the terminal must not exceed engine.terminalTimeoutMs (${options.terminalTimeoutMs})`,
      });
    }
  };
  const merchantWithTerminals = async (reader: Pick<Store, 'listTerminals'>, merchant: MerchantRecord) => toMerchantView(merchant, await reader.listTerminals(merchant.id));

  // ---- merchants ----
  app.get('/merchants', { schema: { summary: 'Every merchant (a merchant user: its own)', tags: ['management'], security, response: { 200: Type.Object({ data: Type.Array(merchantView) }), ...errors } } }, async (request) => {
    const merchants = await store.listMerchants();
    const data: MerchantView[] = [];
    for (const merchant of merchants) if (seesMerchant(request.principal, merchant.id)) data.push(await merchantWithTerminals(store, merchant));
    return { data };
  });

  app.post<{ Body: Static<typeof merchantCreateSchema> }>(
    '/merchants',
    { schema: { summary: 'Create a merchant (same fields and rules as a config file merchant)', tags: ['management'], security, body: merchantCreateSchema, response: { 201: merchantView, ...errors, 409: problemSchema } } },
    async (request, reply) => {
      const body = request.body;
      checkFeePlan(body.feePlan);
      checkLimits(body.limits, 'limits');
      const nowMs = clock.nowMs();
      const view = await store.write(async (tx) => {
        if ((await tx.getMerchant(body.id)) !== null) throw new ReswipeError('RSW_HTTP_CONFLICT', { what: 'merchant', id: body.id, field: 'id' });
        for (const [index, terminalId] of body.terminals.entries()) {
          if ((await tx.getTerminal(terminalId)) !== null) throw new ReswipeError('RSW_HTTP_CONFLICT', { what: 'terminal', id: terminalId, field: `terminals.${index}` });
        }
        // New records (none exists, checked above), exactly as a config file's merchant is seeded.
        const merchant = buildMerchantRecord(body, null, nowMs);
        await tx.upsertMerchant(merchant);
        const terminals = body.terminals.map((id) => buildTerminalRecord(id, body.id, null, nowMs));
        for (const terminal of terminals) await tx.upsertTerminal(terminal);
        await auditInTx(tx, request, 'merchant.create', merchant.id, { merchant: { ...merchant }, terminals: body.terminals }, nowMs);
        return toMerchantView(merchant, terminals);
      });
      return reply.code(201).send(view);
    },
  );

  const merchantParams = Type.Object({ id: withoutDefaults(m.id) });
  app.get<{ Params: { id: string } }>(
    '/merchants/:id',
    { schema: { summary: 'One merchant with its terminal ids', tags: ['management'], security, params: merchantParams, response: { 200: merchantView, ...errors } } },
    async (request) => {
      const merchant = await store.getMerchant(request.params.id);
      if (merchant === null || !seesMerchant(request.principal, merchant.id)) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'merchant', id: request.params.id, field: 'id' });
      return merchantWithTerminals(store, merchant);
    },
  );

  app.patch<{ Params: { id: string }; Body: Static<typeof merchantPatchSchema> }>(
    '/merchants/:id',
    { schema: { summary: 'Change a merchant; `disabled: true` refuses its sales', tags: ['management'], security, params: merchantParams, body: merchantPatchSchema, response: { 200: merchantView, ...errors } } },
    async (request) => {
      const body = request.body;
      checkFeePlan(body.feePlan);
      return store.write(async (tx) => {
        const before = await tx.getMerchant(request.params.id);
        if (before === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'merchant', id: request.params.id, field: 'id' });
        const nowMs = clock.nowMs();
        const after: MerchantRecord = {
          ...before,
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.mcc === undefined ? {} : { mcc: body.mcc }),
          ...(body.accepts === undefined ? {} : { accepts: [...body.accepts] }),
          ...(body.limits === undefined ? {} : { limits: { ...body.limits } }),
          ...(body.feePlan === undefined ? {} : { feePlan: body.feePlan }),
          ...(body.disabled === undefined ? {} : { disabled: body.disabled }),
          updatedAtMs: nowMs,
        };
        checkLimits(after.limits, 'limits');
        await tx.upsertMerchant(after);
        await auditInTx(tx, request, 'merchant.update', after.id, { changes: { ...body } }, nowMs);
        return merchantWithTerminals(tx, after);
      });
    },
  );

  // ---- terminals ----
  app.get<{ Querystring: { merchantId?: string } }>(
    '/terminals',
    {
      schema: {
        summary: 'Terminals, optionally of one merchant',
        tags: ['management'],
        security,
        querystring: Type.Object({ merchantId: Type.Optional(withoutDefaults(m.id)) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(terminalView) }), ...errors },
      },
    },
    async (request) => {
      const own = merchantsOf(request.principal);
      // A merchant-bound caller's terminals are read by merchant, not picked out of every terminal.
      const merchantIds = request.query.merchantId !== undefined ? [request.query.merchantId] : own === null ? [undefined] : own;
      const listed = (await Promise.all(merchantIds.map((merchantId) => store.listTerminals(merchantId)))).flat();
      const terminals = listed.filter((terminal) => seesMerchant(request.principal, terminal.merchantId));
      return { data: terminals.map((terminal) => withMonitoring(toTerminalView(terminal), options.monitoring?.terminalCached(terminal.id))) };
    },
  );

  app.post<{ Body: Static<typeof terminalCreateSchema> }>(
    '/terminals',
    { schema: { summary: 'Register a terminal for a merchant', tags: ['management'], security, body: terminalCreateSchema, response: { 201: terminalView, ...errors, 409: problemSchema } } },
    async (request, reply) => {
      const body = request.body;
      const limits: Limits = { ...(body.limits ?? {}) };
      checkLimits(limits, 'limits');
      const view = await store.write(async (tx) => {
        if ((await tx.getMerchant(body.merchantId)) === null) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'merchantId', reason: 'no such merchant' });
        if ((await tx.getTerminal(body.id)) !== null) throw new ReswipeError('RSW_HTTP_CONFLICT', { what: 'terminal', id: body.id, field: 'id' });
        const nowMs = clock.nowMs();
        const terminal: TerminalRecord = { id: body.id, merchantId: body.merchantId, state: body.state ?? 'active', signedOn: false, batchNo: '000001', limits, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs };
        await tx.upsertTerminal(terminal);
        await auditInTx(tx, request, 'terminal.create', terminal.id, { terminal: { ...terminal } }, nowMs);
        return toTerminalView(terminal);
      });
      return reply.code(201).send(view);
    },
  );

  const terminalParams = Type.Object({ id: terminalIdSchema });
  app.get<{ Params: { id: string } }>(
    '/terminals/:id',
    { schema: { summary: 'One terminal', tags: ['management'], security, params: terminalParams, response: { 200: terminalView, ...errors } } },
    async (request) => {
      const terminal = await store.getTerminal(request.params.id);
      if (terminal === null || !seesMerchant(request.principal, terminal.merchantId)) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'terminal', id: request.params.id, field: 'id' });
      return withMonitoring(toTerminalView(terminal), await options.monitoring?.terminal(terminal.id));
    },
  );

  app.patch<{ Params: { id: string }; Body: Static<typeof terminalPatchSchema> }>(
    '/terminals/:id',
    { schema: { summary: 'Change a terminal; `disabled: true` (or state "disabled") refuses its sales', tags: ['management'], security, params: terminalParams, body: terminalPatchSchema, response: { 200: terminalView, ...errors } } },
    async (request) => {
      const body = request.body;
      if (body.state !== undefined && body.disabled !== undefined && (body.state === 'disabled') !== body.disabled) {
        throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'disabled', reason: 'contradicts state' });
      }
      return store.write(async (tx) => {
        const before = await tx.getTerminal(request.params.id);
        if (before === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'terminal', id: request.params.id, field: 'id' });
        const nowMs = clock.nowMs();
        const state: TerminalState = body.state ?? (body.disabled === true ? 'disabled' : body.disabled === false && before.state === 'disabled' ? 'active' : before.state);
        const after: TerminalRecord = { ...before, state, ...(body.limits === undefined ? {} : { limits: { ...body.limits } }), updatedAtMs: nowMs };
        checkLimits(after.limits, 'limits');
        await tx.upsertTerminal(after);
        await auditInTx(tx, request, 'terminal.update', after.id, { changes: { ...body } }, nowMs);
        return toTerminalView(after);
      });
    },
  );

  // ---- channels ----
  app.get<{ Querystring: { nodes?: 'self' | 'all' } }>(
    '/channels/health',
    {
      schema: {
        summary: "Each gateway node's view of each channel, side by side",
        tags: ['management'],
        security,
        querystring: Type.Object({ nodes: Type.Optional(Type.Union([Type.Literal('self'), Type.Literal('all')], { description: '`all` (default): every node; `self`: the node that answers' })) }),
        response: { 200: Type.Object({ data: Type.Array(channelHealthOfNodeView) }), ...errors },
      },
    },
    async (request) => {
      const rows = options.channelHealthOfNodes === undefined ? [] : await options.channelHealthOfNodes();
      return { data: request.query.nodes === 'self' ? rows.filter((row) => row.self) : rows };
    },
  );

  app.get('/channels', { schema: { summary: 'Upstream channels as stored', tags: ['management'], security, response: { 200: Type.Object({ data: Type.Array(channelView) }), ...errors } } }, async () => ({
    data: (await store.listChannels()).map((channel) => withMonitoring(toChannelView(channel, clock.nowMs()), options.monitoring?.channel(channel.name))),
  }));

  app.post<{ Body: Static<typeof channelCreateSchema> }>(
    '/channels',
    { schema: { summary: 'Add an upstream channel (connected from the next start)', tags: ['management'], security, body: channelCreateSchema, response: { 201: channelView, ...errors, 409: problemSchema } } },
    async (request, reply) => {
      const body = request.body;
      checkDialect(body.dialect);
      checkChannelTimeout(body.timeoutMs);
      const view = await store.write(async (tx) => {
        if ((await tx.getChannel(body.name)) !== null) throw new ReswipeError('RSW_HTTP_CONFLICT', { what: 'channel', id: body.name, field: 'name' });
        const nowMs = clock.nowMs();
        const channel = buildChannelRecord(body, null, nowMs, 'api');
        await tx.upsertChannel(channel);
        await auditInTx(tx, request, 'channel.create', channel.name, { channel: { ...channel } }, nowMs);
        return toChannelView(channel, nowMs);
      });
      return reply.code(201).send(view);
    },
  );

  const channelParams = Type.Object({ name: withoutDefaults(c.name) });
  app.get<{ Params: { name: string } }>(
    '/channels/:name',
    { schema: { summary: 'One upstream channel', tags: ['management'], security, params: channelParams, response: { 200: channelView, ...errors } } },
    async (request) => {
      const channel = await store.getChannel(request.params.name);
      if (channel === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'channel', id: request.params.name, field: 'name' });
      return withMonitoring(toChannelView(channel, clock.nowMs()), options.monitoring?.channel(channel.name));
    },
  );

  app.patch<{ Params: { name: string }; Body: Static<typeof channelPatchSchema> }>(
    '/channels/:name',
    {
      schema: {
        summary: 'Change an upstream channel: priority, disabled and draining steer routing on every node at once; host, port, dialect and timeout apply from the next start',
        tags: ['management'],
        security,
        params: channelParams,
        body: channelPatchSchema,
        response: { 200: channelView, ...errors },
      },
    },
    async (request) => {
      const body = request.body;
      if (body.dialect !== undefined) checkDialect(body.dialect);
      checkChannelTimeout(body.timeoutMs);
      return store.write(async (tx) => {
        const before = await tx.getChannel(request.params.name);
        if (before === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'channel', id: request.params.name, field: 'name' });
        const nowMs = clock.nowMs();
        // A change of the definition is the API's from now on: a restart with an unchanged config file keeps it (docs/cluster.md, "What a restart keeps").
        const { draining: _holdOnly, ...definitionChanges } = body;
        const definedBy = Object.keys(definitionChanges).length > 0 ? 'api' : before.definedBy;
        const after: ChannelRecord = { ...before, ...body, definedBy, updatedAtMs: nowMs };
        await tx.upsertChannel(after);
        await auditInTx(tx, request, 'channel.update', after.name, { changes: { ...body } }, nowMs);
        if (body.draining !== undefined && body.draining !== before.draining) {
          await tx.appendEvent({ type: body.draining ? 'channel.drained' : 'channel.undrained', subjectId: after.name, payload: { by: actorOf(request.principal) }, atMs: nowMs });
        }
        return toChannelView(after, nowMs);
      });
    },
  );

  app.post<{ Params: { name: string }; Body: Static<typeof channelCircuitSchema> }>(
    '/channels/:name/circuit',
    {
      schema: {
        summary: "Force a channel's circuit open or closed on every node at once, or give it back to the breaker (`auto`)",
        tags: ['management'],
        security,
        params: channelParams,
        body: channelCircuitSchema,
        response: { 200: channelView, ...errors },
      },
    },
    async (request) => {
      const body = request.body;
      if (body.state === 'auto' && body.untilMinutes !== undefined) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'untilMinutes', reason: 'only with state open or closed' });
      return store.write(async (tx) => {
        const before = await tx.getChannel(request.params.name);
        if (before === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'channel', id: request.params.name, field: 'name' });
        const nowMs = clock.nowMs();
        const by = actorOf(request.principal);
        const circuitOverride =
          body.state === 'auto' ? null : { state: body.state, note: body.note, byUser: by, atMs: nowMs, untilMs: body.untilMinutes === undefined ? null : nowMs + body.untilMinutes * 60_000 };
        const after: ChannelRecord = { ...before, circuitOverride, updatedAtMs: nowMs };
        await tx.upsertChannel(after);
        await auditInTx(tx, request, 'channel.circuit', after.name, { state: body.state, note: body.note, untilMs: circuitOverride?.untilMs ?? null }, nowMs);
        await tx.appendEvent({ type: 'channel.circuit_forced', subjectId: after.name, payload: { state: body.state, note: body.note, by, untilMs: circuitOverride?.untilMs ?? null }, atMs: nowMs });
        return toChannelView(after, nowMs);
      });
    },
  );
}
