// `reswipe users`: console users (docs/console-access.md). `users create` prints a generated password
// exactly once (the store keeps its scrypt hash); `users list` shows names, roles, merchants and state
// (never a password); `users disable` ends the user's sessions at once, `users enable` lets them log in
// again; `users reset-password` prints a new generated password once and ends the user's sessions.
// Every change is in the audit log (actor `cli`). The database comes from the config as for `serve`.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { consoleUserView, createConsoleUser, resetConsoleUserPassword, updateConsoleUser, type InvalidInput, type UserAudit } from '../../adapters/http/console-users.ts';
import { randomBase62 } from '../../adapters/http/random-base62.ts';
import { roles } from '../../core/access/permissions.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { Store } from '../../core/ports/store.ts';

interface CommonOptions {
  config?: string;
  databaseUrl?: string;
  json?: boolean;
  user?: string;
}

const cliInvalid: InvalidInput = (field, reason) => new ReswipeError('RSW_BAD_ARGUMENT', { field, reason });

const cliAudit =
  (nowMs: number): UserAudit =>
  (tx, action, subjectId, detail) =>
    tx.appendAudit({ id: `aud_${randomBase62(20)}`, actor: 'cli', action, subjectId, detail, atMs: nowMs });

async function withStore<T>(opts: CommonOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  try {
    return await work(store);
  } catch (error) {
    // The shared user rules speak HTTP; on the command line the same refusals name the flag.
    if (isReswipeError(error) && error.code === 'RSW_HTTP_CONFLICT') throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--user', reason: `a user named ${opts.user ?? ''} exists` });
    if (isReswipeError(error) && error.code === 'RSW_HTTP_NOT_FOUND') throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--user', reason: `no user ${opts.user ?? ''}` });
    throw error;
  } finally {
    await store.close();
  }
}

function requireUser(opts: CommonOptions): string {
  if (opts.user === undefined || opts.user === '') throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--user', reason: 'name the user (--user <name>)' });
  return opts.user;
}

function storeOptions(command: Command): Command {
  command.option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)');
  addConfigOptions(command);
  return command;
}

export function register(program: Command): void {
  const users = program.command('users').description('console users: create (password printed once), list, disable, enable, reset-password');

  storeOptions(
    users
      .command('create')
      .description('create a console user; a generated password is printed once and only its scrypt hash is stored')
      .requiredOption('--user <name>', 'the login name: 1 to 64 of a-z 0-9 . _ -')
      .requiredOption('--role <role>', roles.join(', '))
      .option('--merchant <ids...>', 'the merchants a merchant user sees (one or more) or a cashier works for (exactly one); repeat or separate with commas')
      .option('--json', 'print {"user", "password", ...} as one JSON line'),
  ).action(async (opts: CommonOptions & { role: string; merchant?: string[] }) => {
    const merchantIds = (opts.merchant ?? []).flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== '');
    await withStore(opts, async (store) => {
      const nowMs = Date.now();
      const created = await createConsoleUser(store, { name: requireUser(opts), role: opts.role, merchantIds }, nowMs, cliAudit(nowMs), cliInvalid, { name: '--user', role: '--role', merchants: '--merchant' });
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ ...consoleUserView(created.user), password: created.password })}\n`);
      } else {
        process.stdout.write(`${created.password}\n`);
        const bound = created.user.merchantIds.length === 0 ? '' : ` for ${created.user.merchantIds.join(', ')}`;
        process.stderr.write(`user ${created.user.name} (${created.user.role}${bound}) created; the password is shown only this once, hand it over now\n`);
      }
    });
  });

  storeOptions(users.command('list').description('list console users: name, role, merchants, state (never a password)').option('--json', 'print a JSON array')).action(async (opts: CommonOptions) => {
    await withStore(opts, async (store) => {
      const all = (await store.listConsoleUsers()).map(consoleUserView);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(all)}\n`);
        return;
      }
      if (all.length === 0) {
        process.stdout.write('no console users; create one with `reswipe users create --user <name> --role admin`\n');
        return;
      }
      for (const user of all) {
        process.stdout.write(`${user.name.padEnd(24)}  ${user.role.padEnd(8)}  ${(user.merchantIds.join(',') || '-').padEnd(20)}  ${user.disabled ? 'disabled' : 'enabled'}  password set ${user.passwordChangedAt}\n`);
      }
    });
  });

  for (const [name, disabled, description] of [
    ['disable', true, 'disable a user: their sessions end at once and they cannot log in'],
    ['enable', false, 'enable a disabled user again (they log in anew)'],
  ] as const) {
    storeOptions(users.command(name).description(description).requiredOption('--user <name>', 'the user')).action(async (opts: CommonOptions) => {
      await withStore(opts, async (store) => {
        const nowMs = Date.now();
        const user = await updateConsoleUser(store, requireUser(opts), { disabled }, nowMs, cliAudit(nowMs), cliInvalid);
        process.stdout.write(`${user.name} ${user.disabled ? 'disabled' : 'enabled'}\n`);
      });
    });
  }

  storeOptions(
    users
      .command('reset-password')
      .description("give a user a new generated password, printed once; the user's sessions end")
      .requiredOption('--user <name>', 'the user')
      .option('--json', 'print {"user", "password"} as one JSON line'),
  ).action(async (opts: CommonOptions) => {
    await withStore(opts, async (store) => {
      const nowMs = Date.now();
      const reset = await resetConsoleUserPassword(store, requireUser(opts), nowMs, cliAudit(nowMs));
      if (opts.json === true) process.stdout.write(`${JSON.stringify({ user: reset.user.name, password: reset.password })}\n`);
      else {
        process.stdout.write(`${reset.password}\n`);
        process.stderr.write(`new password for ${reset.user.name}; it is shown only this once\n`);
      }
    });
  });
}
