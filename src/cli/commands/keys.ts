// `reswipe keys`: API keys of the HTTP API. `keys create` prints the new key exactly once (the store
// keeps only its SHA-256), with scopes and an optional expiry; `keys list` shows ids, scopes, merchant,
// expiry, last use and labels (never a secret); `keys revoke` makes a key fail from the next request
// on. Every create and revoke is in the audit log (actor `cli`). The database comes from the config as for `serve`.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { generateApiKey } from '../../adapters/http/auth.ts';
import { legacyScopes, scopeSetProblem, type ApiScope } from '../../core/access/api-scope.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { hasPanLikeRun } from '../../core/cards/find-pan-like-runs.ts';
import type { ApiKeyRecord, Store } from '../../core/ports/store.ts';

const labelCharsMax = 100;
/** Longest expiry `--expires-in` accepts: about ten years. */
const expiresInMsMax = 3650 * 86_400_000;
const durationUnitsMs: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `12h`, `30d` → milliseconds. */
export function parseExpiresIn(text: string): number {
  const match = /^([1-9][0-9]{0,6})([mhd])$/.exec(text);
  const unitMs = match?.[2] === undefined ? undefined : durationUnitsMs[match[2]];
  if (match?.[1] === undefined || unitMs === undefined || Number(match[1]) * unitMs > expiresInMsMax) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--expires-in', reason: 'must be a whole number of minutes, hours or days such as 90m, 12h or 30d (at most 3650d)' });
  }
  return Number(match[1]) * unitMs;
}

interface CommonOptions {
  config?: string;
  databaseUrl?: string;
  json?: boolean;
}

async function withStore<T>(opts: CommonOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function describeKey(key: ApiKeyRecord): Record<string, unknown> {
  return {
    id: key.id,
    scopes: [...key.scopes],
    merchantId: key.merchantId,
    label: key.label,
    createdAt: isoOrNull(key.createdAtMs),
    expiresAt: isoOrNull(key.expiresAtMs),
    lastUsedAt: isoOrNull(key.lastUsedAtMs),
    revokedAt: isoOrNull(key.revokedAtMs),
  };
}

/** The scopes a create asks for: --scope wins; --admin alone is admin; --merchant alone keeps the rights merchant keys always had. */
function requestedScopes(opts: { admin?: boolean; merchant?: string; scope?: string[] }): string[] {
  const named = (opts.scope ?? []).flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== '');
  if (opts.admin === true) return named.length === 0 ? [...legacyScopes.admin] : [...named, 'admin'];
  if (named.length > 0) return named;
  return opts.merchant === undefined ? [] : [...legacyScopes.merchant];
}

export function register(program: Command): void {
  const keys = program.command('keys').description('API keys of the HTTP API: create (printed once), list, revoke');

  const create = keys
    .command('create')
    .description('create an API key: admin, or scopes for one merchant; the key is printed once and only its hash is stored')
    .option('--admin', 'a key for every route, management included (same as --scope admin)')
    .option('--merchant <id>', 'the merchant a non-admin key acts for; without --scope it gets payments:write, payments:read and refunds:write')
    .option('--scope <scopes...>', 'payments:write, payments:read, refunds:write, settlements:read or admin (repeat or separate with commas)')
    .option('--expires-in <duration>', 'the key stops working after 90m, 12h, 30d, ... (default: never)')
    .option('--label <text>', 'a note to recognise the key by in `keys list`')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--json', 'print {"key", "id", ...} as one JSON line');
  addConfigOptions(create);
  create.action(async (opts: CommonOptions & { admin?: boolean; merchant?: string; scope?: string[]; expiresIn?: string; label?: string }) => {
    const scopes = requestedScopes(opts);
    const merchantId = opts.merchant ?? null;
    const problem = scopeSetProblem(scopes, merchantId);
    if (problem !== null) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--scope', reason: problem });
    const label = opts.label ?? '';
    if (label.length > labelCharsMax || /[\u0000-\u001f]/.test(label)) {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--label', reason: `must be at most ${labelCharsMax} printable characters` });
    }
    if (hasPanLikeRun(label)) {
      // The label is stored and listed: it must never carry a card number (docs/card-data.md).
      throw new ReswipeError('RSW_CARD_NUMBER_IN_TEXT', { field: '--label' });
    }
    const expiresInMs = opts.expiresIn === undefined ? null : parseExpiresIn(opts.expiresIn);
    await withStore(opts, async (store) => {
      if (merchantId !== null && (await store.getMerchant(merchantId)) === null) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--merchant', reason: `no merchant ${merchantId} in the store (start serve with it in the config, or POST /v1/merchants)` });
      }
      const nowMs = Date.now();
      const created = generateApiKey({ scopes: scopes as ApiScope[], merchantId, expiresAtMs: expiresInMs === null ? null : nowMs + expiresInMs }, label, nowMs);
      await store.write(async (tx) => {
        await tx.insertApiKey(created.record);
        await tx.appendAudit({
          id: `aud_key_${created.record.id}`,
          actor: 'cli',
          action: 'api_key.create',
          subjectId: created.record.id,
          detail: { scopes: [...created.record.scopes], merchantId, label, expiresAt: isoOrNull(created.record.expiresAtMs) },
          atMs: nowMs,
        });
      });
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ key: created.key, ...describeKey(created.record) })}\n`);
      } else {
        process.stdout.write(`${created.key}\n`);
        const expiry = created.record.expiresAtMs === null ? '' : `, expires ${isoOrNull(created.record.expiresAtMs)}`;
        process.stderr.write(`key ${created.record.id} (${created.record.scopes.join(' ')}${merchantId === null ? '' : ` for ${merchantId}`}${expiry}) created; it is shown only this once, store it now\n`);
      }
    });
  });

  const list = keys
    .command('list')
    .description('list API keys: id, scopes, merchant, state (active, expired, revoked), last used, label (never the secret)')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--json', 'print a JSON array');
  addConfigOptions(list);
  list.action(async (opts: CommonOptions) => {
    await withStore(opts, async (store) => {
      const all = (await store.listApiKeys()).map(describeKey);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(all)}\n`);
        return;
      }
      if (all.length === 0) {
        process.stdout.write('no API keys; create one with `reswipe keys create --admin`\n');
        return;
      }
      const nowMs = Date.now();
      for (const key of await store.listApiKeys()) {
        const state =
          key.revokedAtMs !== null ? `revoked ${isoOrNull(key.revokedAtMs)}` : key.expiresAtMs !== null && key.expiresAtMs <= nowMs ? `expired ${isoOrNull(key.expiresAtMs)}` : key.expiresAtMs !== null ? `active until ${isoOrNull(key.expiresAtMs)}` : 'active';
        const lastUsed = key.lastUsedAtMs === null ? 'never used' : `used ${isoOrNull(key.lastUsedAtMs)}`;
        process.stdout.write(`${key.id}  ${key.scopes.join(',').padEnd(40)}  ${(key.merchantId ?? '-').padEnd(15)}  ${state}  ${lastUsed}  ${key.label}\n`);
      }
    });
  });

  const revoke = keys
    .command('revoke <id>')
    .description('revoke an API key by its id; requests with it get 401 from then on')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)');
  addConfigOptions(revoke);
  revoke.action(async (id: string, opts: CommonOptions) => {
    if (!/^[0-9A-Za-z]{1,64}$/.test(id)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'id', reason: 'must be the key id shown by `reswipe keys list`' });
    await withStore(opts, async (store) => {
      const nowMs = Date.now();
      const revoked = await store.write(async (tx) => {
        const done = await tx.revokeApiKey(id, nowMs);
        if (done) await tx.appendAudit({ id: `aud_revoke_${id}_${nowMs}`, actor: 'cli', action: 'api_key.revoke', subjectId: id, detail: {}, atMs: nowMs });
        return done;
      });
      if (!revoked) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'id', reason: `no active API key ${id}` });
      process.stdout.write(`revoked ${id}\n`);
    });
  });
}
