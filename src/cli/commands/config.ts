// `reswipe config print` shows the effective configuration (file, then RESWIPE_* variables, then
// flags, with defaults filled) with secrets masked; `reswipe config check` only validates it.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { maskConfigSecrets } from '../../core/config/mask-config-secrets.ts';

export function register(program: Command): void {
  const config = program.command('config').description('show or check the effective configuration, secrets masked');

  addConfigOptions(
    config
      .command('print')
      .description('print the effective configuration (YAML, or JSON with --json); secrets are masked')
      .option('--json', 'print JSON instead of YAML'),
  ).action((opts: { config?: string; json?: boolean }) => {
    const effective = maskConfigSecrets(configFromCommand(opts));
    process.stdout.write(opts.json === true ? `${JSON.stringify(effective, null, 2)}\n` : stringify(effective, { lineWidth: 0 }));
  });

  addConfigOptions(config.command('check').description('validate the configuration; exits 0 when valid, 2 with one message naming the key when not')).action(
    (opts: { config?: string }) => {
      const checked = configFromCommand(opts);
      const warning = checked.security.panKeyIsDefault ? ' (warning: security.panKey is not set; the development key is in use)' : '';
      process.stdout.write(`configuration is valid${warning}\n`);
    },
  );
}
