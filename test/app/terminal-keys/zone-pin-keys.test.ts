// Goal: a zone PIN key sealed by the ceremony opens into the software HSM only under its own
// reference and only when its check value is the configured one; the `seal` command never shows
// the key. Method: seal with the development vault, load into a SoftwareHsm through a validated
// config, and run `reswipe zone-pin-key seal` as a process with components on stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TerminalKeyVault } from '../../../src/adapters/crypto/terminal-key-vault.ts';
import { SoftwareHsm } from '../../../src/adapters/hsm/software-hsm.ts';
import { keyCheckValue } from '../../../src/core/crypto/key-check-value.ts';
import { combineKeyComponents } from '../../../src/core/crypto/key-components.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { loadZonePinKeys, openChannelMacKeys, sealZonePinKey } from '../../../src/app/terminal-keys/zone-pin-keys.ts';
import { envWithoutReswipe, repoRoot, reswipeBin } from '../../support/reswipe-process.ts';

const components = ['1032547698BADCFE1032547698BADCFE', '0000000000000000FFFFFFFFFFFFFFFF'] as const;
const zoneKey = combineKeyComponents('3des', components.map((hex) => Buffer.from(hex, 'hex')));
const vault = TerminalKeyVault.fromSettings({ developmentMode: true });

function configWith(zonePinKey: Record<string, unknown>) {
  return validateConfig({ channels: [{ name: 'bank', host: '127.0.0.1', port: 9583, zonePinKey }] });
}

test('a sealed zone key opens into the HSM under its reference, with its check value', async () => {
  const sealed = sealZonePinKey(vault, 'zpk/bank', '3des', components.map((hex, index) => ({ hex, checkValue: keyCheckValue('3des', Buffer.from(components[index] ?? '', 'hex')) })));
  assert.equal(sealed.checkValue, keyCheckValue('3des', zoneKey));
  assert.ok(!sealed.sealed.toUpperCase().includes(zoneKey.toString('hex').toUpperCase()));
  const hsm = new SoftwareHsm();
  loadZonePinKeys(configWith({ keyRef: 'zpk/bank', checkValue: sealed.checkValue, sealed: sealed.sealed }), vault, hsm);
  assert.equal(await hsm.checkValueOf('zpk/bank'), sealed.checkValue);
});

test('a configured check value that is not the sealed key stops start-up, naming the key', () => {
  const sealed = sealZonePinKey(vault, 'zpk/bank', '3des', components.map((hex) => ({ hex })));
  assert.throws(
    () => loadZonePinKeys(configWith({ keyRef: 'zpk/bank', checkValue: '000000', sealed: sealed.sealed }), vault, new SoftwareHsm()),
    (error: unknown) => isReswipeError(error, 'RSW_CONFIG_RELATION') && error.field === 'channels[0].zonePinKey.checkValue',
  );
});

test('sealed text copied to another reference does not open', () => {
  const sealed = sealZonePinKey(vault, 'zpk/bank', '3des', components.map((hex) => ({ hex })));
  assert.throws(
    () => loadZonePinKeys(configWith({ keyRef: 'zpk/other', checkValue: sealed.checkValue, sealed: sealed.sealed }), vault, new SoftwareHsm()),
    (error: unknown) => isReswipeError(error, 'RSW_TERMINAL_KEYS_UNSEALABLE'),
  );
});

test('a component whose check value was misread is refused', () => {
  assert.throws(
    () => sealZonePinKey(vault, 'zpk/bank', '3des', [{ hex: components[0], checkValue: 'ABCDEF' }, { hex: components[1] }]),
    (error: unknown) => isReswipeError(error, 'RSW_TERMINAL_KEYS_COMPONENT_INVALID'),
  );
});

test('`reswipe zone-pin-key seal` prints the check value and sealed text, never the key or a component', () => {
  const run = spawnSync(process.execPath, [reswipeBin, 'zone-pin-key', 'seal', 'zpk/bank', '--components', '2', '--json'], {
    cwd: repoRoot,
    env: envWithoutReswipe({ RESWIPE_DEVELOPMENT_MODE: '1' }),
    input: `${components[0]}\n${components[1]}\n`,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const printed = JSON.parse(run.stdout) as { keyRef: string; checkValue: string; sealed: string };
  assert.equal(printed.keyRef, 'zpk/bank');
  assert.equal(printed.checkValue, keyCheckValue('3des', zoneKey));
  assert.equal(vault.open(printed.sealed, 'zone:zpk/bank', 'pin').toString('hex'), zoneKey.toString('hex'));
  const output = (run.stdout + run.stderr).toUpperCase();
  for (const secret of [zoneKey.toString('hex'), ...components]) assert.ok(!output.includes(secret.toUpperCase()), 'no key material printed');
});

test('a zone MAC key (channels[].mac) opens into memory by channel; a sealed zone PIN key cannot stand in for it; a wrong check value stops start-up', () => {
  const sealedMac = sealZonePinKey(vault, 'zak/bank', '3des', components.map((hex) => ({ hex })), 'mac');
  const macConfig = (mac: Record<string, unknown>) => validateConfig({ channels: [{ name: 'bank', host: '127.0.0.1', port: 9583, mac }] });
  const keys = openChannelMacKeys(macConfig({ keyRef: 'zak/bank', checkValue: sealedMac.checkValue, sealed: sealedMac.sealed }), vault);
  assert.equal(keys.get('bank')?.key.toString('hex'), zoneKey.toString('hex'));
  assert.equal(keys.get('bank')?.algorithm, '3des');
  const sealedPin = sealZonePinKey(vault, 'zak/bank', '3des', components.map((hex) => ({ hex })));
  assert.throws(() => openChannelMacKeys(macConfig({ keyRef: 'zak/bank', checkValue: sealedPin.checkValue, sealed: sealedPin.sealed }), vault), (error: unknown) => isReswipeError(error, 'RSW_TERMINAL_KEYS_UNSEALABLE'));
  assert.throws(
    () => openChannelMacKeys(macConfig({ keyRef: 'zak/bank', checkValue: '000000', sealed: sealedMac.sealed }), vault),
    (error: unknown) => isReswipeError(error, 'RSW_CONFIG_RELATION') && error.field === 'channels[0].mac.checkValue',
  );
  assert.throws(() => macConfig({ keyRef: 'zak/bank', checkValue: sealedMac.checkValue }), 'the sealed key is required: reswipe computes host-link MACs itself');
});

test('`reswipe zone-mac-key seal` seals under the role mac', () => {
  const run = spawnSync(process.execPath, [reswipeBin, 'zone-mac-key', 'seal', 'zak/bank', '--components', '2', '--json'], {
    cwd: repoRoot,
    env: envWithoutReswipe({ RESWIPE_DEVELOPMENT_MODE: '1' }),
    input: `${components[0]}\n${components[1]}\n`,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const printed = JSON.parse(run.stdout) as { keyRef: string; checkValue: string; sealed: string };
  assert.equal(printed.checkValue, keyCheckValue('3des', zoneKey));
  assert.equal(vault.open(printed.sealed, 'zone:zak/bank', 'mac').toString('hex'), zoneKey.toString('hex'));
  assert.throws(() => vault.open(printed.sealed, 'zone:zak/bank', 'pin'));
  const output = (run.stdout + run.stderr).toUpperCase();
  for (const secret of [zoneKey.toString('hex'), ...components]) assert.ok(!output.includes(secret.toUpperCase()), 'no key material printed');
});
