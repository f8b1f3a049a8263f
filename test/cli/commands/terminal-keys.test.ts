// Goal: `reswipe terminal-keys` runs the key ceremonies an operator needs, shows check values and
// never a stored key, and keeps keys sealed in the database. Method: run the real CLI as child
// processes on a temp SQLite file with a key file, feed components on standard input, then read the
// store and scan the database bytes for the clear keys.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { TerminalKeyVault } from '../../../src/adapters/crypto/terminal-key-vault.ts';
import { combineKeyComponents } from '../../../src/core/crypto/key-components.ts';
import { keyCheckValue } from '../../../src/core/crypto/key-check-value.ts';
import { envWithoutReswipe, reswipeBin, repoRoot } from '../../support/reswipe-process.ts';
import { merchant, terminal } from '../../adapters/store/store-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-terminal-keys-'));
const databasePath = join(dir, 'keys.db');
const keyFile = join(dir, 'master.key');
const masterKeyHex = randomBytes(32).toString('hex');
writeFileSync(keyFile, `${masterKeyHex}\n`, { mode: 0o600 });
after(() => rmSync(dir, { recursive: true, force: true }));

function reswipe(args: string[], input = '', extraEnv: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [reswipeBin, 'terminal-keys', ...args], {
    cwd: repoRoot,
    env: envWithoutReswipe({ RESWIPE_DATABASE_URL: `sqlite:${databasePath}`, RESWIPE_SECURITY__TERMINAL_MASTER_KEY_FILE: keyFile, ...extraEnv }),
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function databaseBytes(): Buffer {
  return Buffer.concat(readdirSync(dir).filter((name) => name.startsWith('keys.db')).map((name) => readFileSync(join(dir, name))));
}

test('generate prints components once; import checks each component\'s check value; rotate bumps the version; list shows check values only; the database holds no clear key', async () => {
  const store = await openStore(`sqlite:${databasePath}`, { synchronous: 'normal' });
  await store.write(async (tx) => {
    await tx.upsertMerchant(merchant('M00000000000001'));
    await tx.upsertTerminal(terminal('T0000001', 'M00000000000001'));
    await tx.upsertTerminal(terminal('T0000002', 'M00000000000001'));
  });
  await store.close();

  const generated = reswipe(['generate', 'T0000001', '--algorithm', 'sm4', '--components', '3', '--json']);
  assert.equal(generated.status, 0, generated.stderr);
  const shown = JSON.parse(generated.stdout) as { checkValue: string; components: Array<{ hex: string; checkValue: string }> };
  assert.equal(shown.components.length, 3);
  const tmk = combineKeyComponents('sm4', shown.components.map((component) => Buffer.from(component.hex, 'hex')));
  assert.equal(shown.checkValue, keyCheckValue('sm4', tmk));
  for (const component of shown.components) assert.equal(component.checkValue, keyCheckValue('sm4', Buffer.from(component.hex, 'hex')));

  const again = reswipe(['generate', 'T0000001']);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /RSW_TERMINAL_KEYS_EXIST/);

  const a = '0123456789ABCDEFFEDCBA9876543210';
  const b = '1111 2222 3333 4444 5555 6666 7777 8888';
  const wrongCheck = reswipe(['import', 'T0000002', '--components', '2'], `${a} ${keyCheckValue('3des', Buffer.from(a, 'hex'))}\n${b} 000000\n`);
  assert.notEqual(wrongCheck.status, 0);
  assert.match(wrongCheck.stderr, /RSW_TERMINAL_KEYS_COMPONENT_INVALID/);
  assert.match(wrongCheck.stderr, /component 2/);
  const imported = reswipe(['import', 'T0000002', '--components', '2', '--json'], `${a} ${keyCheckValue('3des', Buffer.from(a, 'hex'))}\n${b}\n`);
  assert.equal(imported.status, 0, imported.stderr);
  const importedTmk = combineKeyComponents('3des', [Buffer.from(a, 'hex'), Buffer.from(b.replace(/ /g, ''), 'hex')]);
  assert.equal((JSON.parse(imported.stdout) as { checkValue: string }).checkValue, keyCheckValue('3des', importedTmk));

  const rotated = reswipe(['rotate', 'T0000002', '--json']);
  assert.equal(rotated.status, 0, rotated.stderr);
  const rotatedShown = JSON.parse(rotated.stdout) as { checkValue: string; components: Array<{ hex: string }> };

  const listed = reswipe(['list', '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as Array<{ terminalId: string; algorithm: string; tmkCheckValue: string; tmkVersion: number; tmkSource: string }>;
  assert.deepEqual(
    rows.map((row) => [row.terminalId, row.algorithm, row.tmkCheckValue, row.tmkVersion, row.tmkSource]),
    [
      ['T0000001', 'sm4', shown.checkValue, 1, 'generated'],
      ['T0000002', '3des', rotatedShown.checkValue, 2, 'generated'],
    ],
  );
  for (const component of shown.components) assert.ok(!listed.stdout.includes(component.hex));

  // The stored key opens under the configured master key to exactly the generated TMK.
  const reopened = await openStore(`sqlite:${databasePath}`, { synchronous: 'normal' });
  const record = await reopened.getTerminalKeys('T0000001');
  await reopened.close();
  const vault = new TerminalKeyVault(Buffer.from(masterKeyHex, 'hex'), 'file');
  assert.deepEqual(vault.open(record?.tmkSealed ?? '', 'T0000001', 'tmk'), tmk);
  assert.throws(() => vault.open(record?.tmkSealed ?? '', 'T0000002', 'tmk'), /RSW_TERMINAL_KEYS_UNSEALABLE|cannot be opened/);

  const bytes = databaseBytes();
  for (const clear of [tmk, importedTmk, combineKeyComponents('3des', rotatedShown.components.map((c) => Buffer.from(c.hex, 'hex')))]) {
    assert.equal(bytes.indexOf(clear), -1, 'no clear TMK bytes in the database or WAL');
    assert.equal(bytes.indexOf(Buffer.from(clear.toString('hex'), 'ascii')), -1, 'no clear TMK hex (lower case)');
    assert.equal(bytes.indexOf(Buffer.from(clear.toString('hex').toUpperCase(), 'ascii')), -1, 'no clear TMK hex (upper case)');
  }
});

test('without a master key (and not in development mode) the commands refuse; a key file others can read is refused', () => {
  const none = reswipe(['list'], '', { RESWIPE_SECURITY__TERMINAL_MASTER_KEY_FILE: undefined });
  // envWithoutReswipe keeps an undefined value out; the file variable is gone, so there is no key.
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /RSW_TERMINAL_KEYS_NO_MASTER_KEY/);
  const loose = join(dir, 'loose.key');
  writeFileSync(loose, `${masterKeyHex}\n`);
  chmodSync(loose, 0o644);
  const refused = reswipe(['list'], '', { RESWIPE_SECURITY__TERMINAL_MASTER_KEY_FILE: loose });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /RSW_TERMINAL_KEYS_MASTER_KEY_FILE/);
  assert.match(refused.stderr, /chmod 600/);
});
