// `reswipe config print` shows the effective configuration (file, then RESWIPE_* variables, then
// flags, with defaults filled) with secrets masked; `reswipe config check` only validates it.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { maskConfigSecrets } from '../../core/config/mask-config-secrets.ts';
import { configAsWritten, requirePanKey } from '../../core/config/config-schema.ts';
import { panKeyBytesMin } from '../../core/config/pan-key.ts';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';

export function register(program: Command): void {
  const config = program.command('config').description('show or check the effective configuration, secrets masked');

  addConfigOptions(
    config
      .command('print')
      .description('print the effective configuration (YAML, or JSON with --json); secrets are masked')
      .option('--json', 'print JSON instead of YAML'),
  ).action((opts: { config?: string; json?: boolean }) => {
    const effective = maskConfigSecrets(configAsWritten(configFromCommand(opts)));
    process.stdout.write(opts.json === true ? `${JSON.stringify(effective, null, 2)}\n` : stringify(effective, { lineWidth: 0 }));
  });

  addConfigOptions(config.command('check').description('validate the configuration; exits 0 when valid, 2 with one message naming the key when not')).action(
    (opts: { config?: string }) => {
      const checked = configFromCommand(opts);
      // The same refusal as serve: a config that serve would not start with is not valid.
      requirePanKey(checked);
      const warning = checked.security.panKeyIsDefault ? ' (warning: development mode: security.panKey is not set; the public development key is in use)' : '';
      process.stdout.write(`configuration is valid${warning}\n`);
    },
  );

  config
    .command('new-pan-key')
    .description('print a new card-fingerprint key (32 random bytes, base64) for security.panKey; with --out, write it to a new file readable by its owner only')
    .option('--out <file>', 'write the key to this file (created with mode 0600; an existing file is never overwritten)')
    .action((opts: { out?: string }) => {
      const key = `${randomBytes(panKeyBytesMin).toString('base64')}\n`;
      if (opts.out === undefined) {
        process.stdout.write(key);
        return;
      }
      // 'wx': fail rather than overwrite a key that fingerprints may still depend on.
      writeFileSync(opts.out, key, { mode: 0o600, flag: 'wx' });
      chmodSync(opts.out, 0o600);
      process.stdout.write(`wrote a new card-fingerprint key to ${opts.out} (mode 0600)\n`);
    });
}
