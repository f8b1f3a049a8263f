// `reswipe keys`: API keys of the HTTP API. `keys create` prints the new key exactly once (the store
// keeps only its SHA-256), `keys list` shows ids, scopes and labels (never a secret), `keys revoke`
// makes a key fail from the next request on. The database comes from the config as for `serve`.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { generateApiKey } from '../../adapters/http/auth.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { hasPanLikeRun } from '../../core/cards/find-pan-like-runs.ts';
import type { ApiKeyRecord, Store } from '../../core/ports/store.ts';

const labelCharsMax = 100;

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

function describeKey(key: ApiKeyRecord): Record<string, unknown> {
  return {
    id: key.id,
    scope: key.scope,
    merchantId: key.merchantId,
    label: key.label,
    createdAt: new Date(key.createdAtMs).toISOString(),
    revokedAt: key.revokedAtMs === null ? null : new Date(key.revokedAtMs).toISOString(),
  };
}

export function register(program: Command): void {
  const keys = program.command('keys').description('API keys of the HTTP API: create (printed once), list, revoke');

  const create = keys
    .command('create')
    .description('create an API key for admin or one merchant; the key is printed once and only its hash is stored')
    .option('--admin', 'a key for every route, management included')
    .option('--merchant <id>', 'a key that sees and creates payments of this merchant only')
    .option('--label <text>', 'a note to recognise the key by in `keys list`')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--json', 'print {"key", "id", ...} as one JSON line');
  addConfigOptions(create);
  create.action(async (opts: CommonOptions & { admin?: boolean; merchant?: string; label?: string }) => {
    if ((opts.admin === true) === (opts.merchant !== undefined)) {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--admin/--merchant', reason: 'give exactly one of --admin or --merchant <id>' });
    }
    const label = opts.label ?? '';
    if (label.length > labelCharsMax || /[\u0000-\u001f]/.test(label)) {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--label', reason: `must be at most ${labelCharsMax} printable characters` });
    }
    if (hasPanLikeRun(label)) {
      // The label is stored and listed: it must never carry a card number (docs/card-data.md).
      throw new ReswipeError('RSW_CARD_NUMBER_IN_TEXT', { field: '--label' });
    }
    await withStore(opts, async (store) => {
      const merchantId = opts.merchant;
      if (merchantId !== undefined && (await store.getMerchant(merchantId)) === null) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--merchant', reason: `no merchant ${merchantId} in the store (start serve with it in the config, or POST /v1/merchants)` });
      }
      const nowMs = Date.now();
      const created = generateApiKey(merchantId === undefined ? { scope: 'admin' } : { scope: 'merchant', merchantId }, label, nowMs);
      await store.write(async (tx) => {
        await tx.insertApiKey(created.record);
        await tx.appendAudit({ id: `aud_key_${created.record.id}`, actor: 'cli', action: 'api_key.create', subjectId: created.record.id, detail: { scope: created.record.scope, merchantId: created.record.merchantId, label }, atMs: nowMs });
      });
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ key: created.key, ...describeKey(created.record) })}\n`);
      } else {
        process.stdout.write(`${created.key}\n`);
        process.stderr.write(`key ${created.record.id} (${created.record.scope}${merchantId === undefined ? '' : ` ${merchantId}`}) created; it is shown only this once, store it now\n`);
      }
    });
  });

  const list = keys
    .command('list')
    .description('list API keys: id, scope, merchant, label, created, revoked (never the secret)')
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
      for (const key of all) {
        const state = key.revokedAt === null ? 'active' : `revoked ${String(key.revokedAt)}`;
        process.stdout.write(`${String(key.id)}  ${String(key.scope).padEnd(8)}  ${String(key.merchantId ?? '-').padEnd(15)}  ${state.padEnd(10)}  ${String(key.label)}\n`);
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
