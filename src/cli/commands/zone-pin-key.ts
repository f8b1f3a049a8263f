// `reswipe zone-pin-key seal <keyRef>`: the zone PIN key ceremony for the software HSM (docs/security.md).
// The key agreed with a bank is entered as 2-3 components on standard input (one per line: hex digits,
// then optionally the check value the custodian read out), combined, and sealed under the local master
// key. What it prints (the reference, algorithm, check value and sealed text) goes into
// channels[].zonePinKey; the clear key is never printed, stored or put on the command line.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import { keyAlgorithms, type KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { keyComponentsMax, keyComponentsMin } from '../../core/crypto/key-components.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { sealZonePinKey, type ZoneKeyRole } from '../../app/terminal-keys/zone-pin-keys.ts';
import { integerOption } from '../option-parsers.ts';
import { readComponents } from './terminal-keys.ts';

interface SealOptions {
  config?: string;
  algorithm: string;
  components: string;
  json?: boolean;
}

export function register(program: Command): void {
  registerZoneKeySeal(program, { command: 'zone-pin-key', role: 'pin', what: 'zone PIN key', configField: 'zonePinKey' });
}

/** The seal ceremony for one kind of zone key; `zone-mac-key` (channels[].mac) registers the same under role `mac`. */
export function registerZoneKeySeal(program: Command, kind: { command: string; role: ZoneKeyRole; what: string; configField: string }): void {
  const command = program.command(kind.command).description(`${kind.what}s: \`seal <keyRef>\` from components, for channels[].${kind.configField}`);
  const seal = command
    .command('seal <keyRef>')
    .description('combine 2-3 components read from standard input and print the key sealed under the local master key')
    .option('--algorithm <name>', '3des (double length) or sm4', '3des')
    .option('--components <n>', `how many components (${keyComponentsMin}-${keyComponentsMax})`, '2')
    .option('--json', 'print {"keyRef","algorithm","checkValue","sealed"} as one JSON line');
  addConfigOptions(seal);
  seal.action(async (keyRef: string, opts: SealOptions) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/.test(keyRef)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'keyRef', reason: 'must be 1 to 128 letters, digits, "_", ".", ":", "/" or "-"' });
    if (!(keyAlgorithms as readonly string[]).includes(opts.algorithm)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--algorithm', reason: `must be ${keyAlgorithms.join(' or ')}` });
    const count = integerOption('--components', opts.components, keyComponentsMin, keyComponentsMax);
    const config = configFromCommand(opts, {});
    const vault = TerminalKeyVault.fromSettings(config.security);
    if (vault.source === 'development') process.stderr.write('warning: development mode: the key is sealed under the public development master key\n');
    const result = sealZonePinKey(vault, keyRef, opts.algorithm as KeyAlgorithm, await readComponents(count), kind.role);
    process.stdout.write(
      opts.json === true
        ? `${JSON.stringify(result)}\n`
        : `${kind.what} ${result.keyRef} (${result.algorithm}), check value ${result.checkValue}; put this into the channel's config:\n  ${kind.configField}: { keyRef: ${result.keyRef}, algorithm: ${result.algorithm}, checkValue: ${result.checkValue}, sealed: ${result.sealed} }\n`,
    );
  });
}
