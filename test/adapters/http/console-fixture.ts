// Shared set-up for the console access tests: the gateway composeGateway() wires for `serve` (every
// /v1 route, follow-ups and notifications included) on a SQLite store in a temp directory, with its
// HTTP app driven through inject (no socket), a movable clock, two merchants with a terminal and an
// approved sale each, an admin API key, and one console user per role (passwords generated the way
// `reswipe users create` makes them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { composeGateway, type Gateway } from '../../../src/app/compose-gateway.ts';
import { createMetrics } from '../../../src/adapters/http/metrics.ts';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { createConsoleUser, httpInvalidInput } from '../../../src/adapters/http/console-users.ts';
import { validateConfig, type ReswipeConfig } from '../../../src/core/config/config-schema.ts';
import type { Role } from '../../../src/core/access/permissions.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { approveAll, FakeChannel, silentLogger } from '../../app/payments/sale-fixture.ts';

export const merchantA = 'M00000000000001';
export const merchantB = 'M00000000000002';
export const terminalA = 'T0000001';
export const terminalB = 'T0000009';

/** The users every fixture has: one per role, the merchant and cashier bound to merchant A. */
export const fixtureUsers: ReadonlyArray<{ name: string; role: Role; merchantIds: string[] }> = [
  { name: 'root', role: 'admin', merchantIds: [] },
  { name: 'ops', role: 'operator', merchantIds: [] },
  { name: 'shop-a', role: 'merchant', merchantIds: [merchantA] },
  { name: 'till-a', role: 'cashier', merchantIds: [merchantA] },
  { name: 'audit', role: 'auditor', merchantIds: [] },
];

export interface ConsoleFixture {
  app: FastifyInstance;
  gateway: Gateway;
  config: ReswipeConfig;
  adminKey: string;
  passwords: Map<string, string>;
  paymentA: string;
  paymentB: string;
  /** Moves the gateway's clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface LoggedIn {
  cookie: string;
  csrfToken: string;
  body: Record<string, any>;
  setCookie: string;
}

export function consoleConfig(dir: string, overrides: Record<string, unknown> = {}): ReswipeConfig {
  return validateConfig({
    database: { url: `sqlite:${join(dir, 'console.db')}`, synchronous: 'normal' },
    security: { panKey: 'test-pan-key-0123456789', developmentMode: true },
    log: { level: 'silent' },
    engine: { terminalTimeoutMs: 3_000, autoRetriesMax: 0 },
    listeners: [],
    // No rate limit here: the throttling tests count failed logins, not requests.
    http: { rateLimit: { perAddress: { max: 0 }, perKey: { max: 0 }, authFailuresPerAddress: { max: 0 } } },
    channels: [{ name: 'bank-a', host: '127.0.0.1', port: 1, priority: 1, timeoutMs: 1_000, acquirerId: '00000000001', echoIntervalMs: 0 }],
    merchants: [
      { id: merchantA, name: 'Shop A', mcc: '5411', terminals: [terminalA] },
      { id: merchantB, name: 'Shop B', mcc: '5812', terminals: [terminalB] },
    ],
    ...overrides,
  });
}

export async function createConsoleFixture(options: { dir?: string; configOverrides?: Record<string, unknown>; seed?: boolean } = {}): Promise<ConsoleFixture> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'reswipe-console-'));
  const offset = { ms: 0 };
  const config = consoleConfig(dir, options.configOverrides);
  const gateway = await composeGateway(config, {
    clock: { nowMs: () => Date.now() + offset.ms },
    random: new SeededRandom(11),
    logger: silentLogger,
    channel: (channel) => new FakeChannel(channel.name, approveAll),
    metrics: createMetrics({ collectDefault: false }),
    listen: false,
  });
  try {
    await gateway.start();
    const app = gateway.http;
    if (app === null) throw new Error('the fixture gateway has no HTTP app');
    const nowMs = Date.now();
    const admin = generateApiKey({ scope: 'admin' }, 'console test admin', nowMs);
    const passwords = new Map<string, string>();
    await gateway.store.write(async (tx) => {
      await tx.insertApiKey(admin.record);
      for (const terminalId of [terminalA, terminalB]) {
        const terminal = await tx.getTerminal(terminalId);
        if (terminal !== null) await tx.upsertTerminal({ ...terminal, signedOn: true });
      }
    });
    if (options.seed !== false) {
      for (const user of fixtureUsers) {
        const created = await createConsoleUser(gateway.store, user, nowMs, async () => undefined, httpInvalidInput);
        passwords.set(user.name, created.password);
      }
    }
    const sale = async (merchantId: string, terminalId: string): Promise<string> => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/payments',
        // No long digit runs in the key: the gateway refuses text that looks like a card number.
        headers: { authorization: `Bearer ${admin.key}`, 'idempotency-key': `console-sale-${merchantId === merchantA ? 'a' : 'b'}` },
        payload: { merchantId, terminalId, amountMinor: 1000, currency: 'CNY', card: { number: '6222020000000000018', expiry: '3012', cvv: '123', entryMode: 'chip' }, capture: true },
      });
      if (response.statusCode !== 201) throw new Error(`fixture sale failed: ${response.body}`);
      return (response.json() as { id: string }).id;
    };
    const paymentA = options.seed === false ? '' : await sale(merchantA, terminalA);
    const paymentB = options.seed === false ? '' : await sale(merchantB, terminalB);
    return {
      app,
      gateway,
      config,
      adminKey: admin.key,
      passwords,
      paymentA,
      paymentB,
      advance(ms) {
        offset.ms += ms;
      },
      async close() {
        await gateway.close();
        if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await gateway.close();
    throw error;
  }
}

/** The `name=value` part of a Set-Cookie header, to send back as Cookie. */
export function cookieOf(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const text = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
  return text.split(';')[0] ?? '';
}

export async function logIn(app: FastifyInstance, user: string, password: string, remoteAddress = '127.0.0.1'): Promise<LoggedIn> {
  const response = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { user, password }, remoteAddress });
  if (response.statusCode !== 201) throw new Error(`login of ${user} failed: ${response.statusCode} ${response.body}`);
  const body = response.json() as Record<string, any>;
  const setCookie = String(response.headers['set-cookie']);
  return { cookie: cookieOf(response), csrfToken: String(body.csrfToken), body, setCookie };
}

/** A request as a logged-in user; state-changing methods carry the CSRF token unless `csrf` says otherwise. */
export function asUser(app: FastifyInstance, session: LoggedIn, method: string, url: string, options: { payload?: unknown; csrf?: string | null; headers?: Record<string, string> } = {}) {
  const csrf = options.csrf === undefined ? session.csrfToken : options.csrf;
  const headers: Record<string, string> = { cookie: session.cookie, ...(csrf === null || method === 'GET' ? {} : { 'x-csrf-token': csrf }), ...options.headers };
  return app.inject({ method: method as 'GET', url, headers, ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }) });
}
