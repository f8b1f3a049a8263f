// `reswipe terminal-keys`: terminal master keys (docs/terminal-keys.md). `import` combines 2-3
// components read from standard input (one per line: hex digits, then optionally the check value
// the custodian read out), `generate` makes a random TMK and prints it ONCE as components for the
// custodians to load into the terminal, `rotate` replaces a TMK the same two ways, and `list` shows
// check values only. Keys are sealed under the local master key (security.terminalMasterKeyFile or
// RESWIPE_TERMINAL_MASTER_KEY) before they reach the database, and never go on the command line.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import { keyAlgorithms, type KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { keyComponentsMax, keyComponentsMin } from '../../core/crypto/key-components.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { TerminalKeyCeremonies, type KeyComponentInput, type ShownComponent } from '../../app/terminal-keys/terminal-key-ceremonies.ts';
import { integerOption } from '../option-parsers.ts';

interface CommonOptions {
  config?: string;
  databaseUrl?: string;
  json?: boolean;
}

/** A component line is at most this long (32 hex digits in groups, a check value, spaces). */
const componentLineCharsMax = 200;

async function withCeremonies<T>(opts: CommonOptions, work: (ceremonies: TerminalKeyCeremonies) => Promise<T>): Promise<T> {
  const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
  const vault = TerminalKeyVault.fromSettings(config.security);
  if (vault.source === 'development') process.stderr.write('warning: development mode: keys are sealed under the public development master key\n');
  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  try {
    return await work(new TerminalKeyCeremonies({ store, vault, clock: { nowMs: () => Date.now() } }));
  } finally {
    await store.close();
  }
}

function algorithmOption(text: string | undefined): KeyAlgorithm {
  const value = text ?? '3des';
  if (!(keyAlgorithms as readonly string[]).includes(value)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--algorithm', reason: `must be ${keyAlgorithms.join(' or ')}` });
  return value as KeyAlgorithm;
}

function terminalIdArgument(text: string): string {
  if (!/^[\x21-\x7e][\x20-\x7e]{0,7}$/.test(text)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'terminal', reason: 'must be the terminal id (DE 41, up to 8 printable characters)' });
  return text.trimEnd();
}

/** Reads `count` component lines from standard input (prompting on stderr when it is a terminal). */
export async function readComponents(count: number): Promise<KeyComponentInput[]> {
  const input = createInterface({ input: process.stdin, terminal: false });
  const components: KeyComponentInput[] = [];
  const prompt = (): void => {
    if (process.stdin.isTTY) process.stderr.write(`component ${components.length + 1} of ${count} (hex, then its check value): `);
  };
  prompt();
  for await (const line of input) {
    if (line.length > componentLineCharsMax) throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(components.length + 1), reason: 'the line is too long' });
    const words = line.trim().split(/\s+/).filter((word) => word !== '');
    if (words.length === 0) continue;
    // The check value is the last word when it is 6 or 8 hex digits and the rest is a whole key.
    const last = words[words.length - 1] as string;
    const hasCheckValue = words.length > 1 && /^[0-9A-Fa-f]{6}$|^[0-9A-Fa-f]{8}$/.test(last);
    components.push({ hex: (hasCheckValue ? words.slice(0, -1) : words).join(''), ...(hasCheckValue ? { checkValue: last } : {}) });
    if (components.length === count) break;
    prompt();
  }
  input.close();
  if (components.length !== count) throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(components.length + 1), reason: `standard input ended after ${components.length} of ${count} components` });
  return components;
}

function printGenerated(terminalId: string, algorithm: KeyAlgorithm, result: { checkValue: string; components: ShownComponent[] }, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ terminalId, algorithm, checkValue: result.checkValue, components: result.components })}\n`);
    return;
  }
  process.stdout.write(`terminal ${terminalId}: new ${algorithm} master key, check value ${result.checkValue}\n`);
  result.components.forEach((component, index) => {
    process.stdout.write(`  component ${index + 1}: ${component.hex.replace(/(.{4})(?=.)/g, '$1 ')}   check value ${component.checkValue}\n`);
  });
  process.stderr.write('the components are shown only this once: give each to its custodian to load into the terminal, then clear this screen\n');
}

export function register(program: Command): void {
  const command = program.command('terminal-keys').description('terminal master keys: import as components, generate (printed once), rotate, list check values');

  const importCommand = command
    .command('import <terminal>')
    .description(`import a terminal master key as ${keyComponentsMin}-${keyComponentsMax} components read from standard input, one per line: hex digits, then optionally its check value`)
    .option('--algorithm <name>', '3des (double length) or sm4', '3des')
    .option('--components <n>', `how many components (${keyComponentsMin}-${keyComponentsMax})`, '2')
    .option('--rotate', 'replace the terminal\'s existing master key')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--json', 'print the result as one JSON line');
  addConfigOptions(importCommand);
  importCommand.action(async (terminal: string, opts: CommonOptions & { algorithm?: string; components: string; rotate?: boolean }) => {
    const terminalId = terminalIdArgument(terminal);
    const algorithm = algorithmOption(opts.algorithm);
    const count = integerOption('components', opts.components, keyComponentsMin, keyComponentsMax);
    const components = await readComponents(count);
    await withCeremonies(opts, async (ceremonies) => {
      const result = await ceremonies.importComponents(terminalId, algorithm, components, opts.rotate === true);
      if (opts.json === true) process.stdout.write(`${JSON.stringify({ terminalId, algorithm, ...result })}\n`);
      else process.stdout.write(`terminal ${terminalId}: ${algorithm} master key stored, check value ${result.checkValue} (components ${result.componentCheckValues.join(', ')})\n`);
    });
  });

  const generate = command
    .command('generate <terminal>')
    .description('generate a random terminal master key and print it ONCE as components with check values')
    .option('--algorithm <name>', '3des (double length) or sm4', '3des')
    .option('--components <n>', `how many components to print (${keyComponentsMin}-${keyComponentsMax})`, '2')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--json', 'print {"checkValue", "components": [{"hex", "checkValue"}]} as one JSON line');
  addConfigOptions(generate);
  generate.action(async (terminal: string, opts: CommonOptions & { algorithm?: string; components: string }) => {
    const terminalId = terminalIdArgument(terminal);
    const algorithm = algorithmOption(opts.algorithm);
    const count = integerOption('components', opts.components, keyComponentsMin, keyComponentsMax);
    await withCeremonies(opts, async (ceremonies) => printGenerated(terminalId, algorithm, await ceremonies.generate(terminalId, algorithm, count), opts.json === true));
  });

  const rotate = command
    .command('rotate <terminal>')
    .description('replace a terminal master key with a new random one, printed ONCE as components; its working keys are cleared until it signs on again')
    .option('--algorithm <name>', '3des (double length) or sm4 (default: keep the current one)')
    .option('--components <n>', `how many components to print (${keyComponentsMin}-${keyComponentsMax})`, '2')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--json', 'print the result as one JSON line');
  addConfigOptions(rotate);
  rotate.action(async (terminal: string, opts: CommonOptions & { algorithm?: string; components: string }) => {
    const terminalId = terminalIdArgument(terminal);
    const count = integerOption('components', opts.components, keyComponentsMin, keyComponentsMax);
    await withCeremonies(opts, async (ceremonies) => {
      const current = (await ceremonies.list()).find((summary) => summary.terminalId === terminalId);
      if (current === undefined) throw new ReswipeError('RSW_TERMINAL_KEYS_NOT_FOUND', { terminalId });
      const algorithm = opts.algorithm === undefined ? current.algorithm : algorithmOption(opts.algorithm);
      printGenerated(terminalId, algorithm, await ceremonies.generate(terminalId, algorithm, count, true), opts.json === true);
    });
  });

  const list = command
    .command('list')
    .description('list terminals with keys: algorithm, master key check value and version, working key check values (never a key)')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--json', 'print a JSON array');
  addConfigOptions(list);
  list.action(async (opts: CommonOptions) => {
    await withCeremonies(opts, async (ceremonies) => {
      const all = await ceremonies.list();
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(all)}\n`);
        return;
      }
      if (all.length === 0) {
        process.stdout.write('no terminal keys; import some with `reswipe terminal-keys import <terminal>` or `generate <terminal>`\n');
        return;
      }
      for (const row of all) {
        const working = row.workingKeys === null ? 'no working keys (not signed on since)' : `PIN ${row.workingKeys.pinCheckValue}  MAC ${row.workingKeys.macCheckValue}${row.workingKeys.dataCheckValue === null ? '' : `  data ${row.workingKeys.dataCheckValue}`}  issued ${new Date(row.workingKeys.issuedAtMs).toISOString()}`;
        process.stdout.write(`${row.terminalId.padEnd(8)}  ${row.algorithm.padEnd(4)}  TMK ${row.tmkCheckValue} v${row.tmkVersion} (${row.tmkSource})  ${working}\n`);
      }
    });
  });
}
