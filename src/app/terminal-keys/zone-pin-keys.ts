// Zone PIN keys for the software HSM: a channel's ZPK is entered once as components (the key
// ceremony with the bank), sealed under the local master key, and the sealed text goes into
// channels[].zonePinKey.sealed. At start, serve opens each one into the software HSM's memory under
// its keyRef; the clear key is never written anywhere. The sealed text is bound to its keyRef and
// role, so it cannot be moved to another reference.
import type { KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { keyBytesOf } from '../../core/crypto/block-cipher.ts';
import { keyCheckValue } from '../../core/crypto/key-check-value.ts';
import { combineKeyComponents } from '../../core/crypto/key-components.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import type { HsmKeyRef } from '../../core/ports/hsm.ts';
import type { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import type { SoftwareHsm } from '../../adapters/hsm/software-hsm.ts';

/** The owner a sealed zone PIN key is bound to in the vault's additional data. */
function sealOwnerOf(keyRef: HsmKeyRef): string {
  return `zone:${keyRef}`;
}

export interface EnteredComponent {
  hex: string;
  /** The check value the custodian read out; compared when given. */
  checkValue?: string;
}

/** What a zone key protects: PINs (channels[].zonePinKey) or host-link MACs (channels[].mac); sealed under its role, so one cannot stand in for the other. */
export type ZoneKeyRole = 'pin' | 'mac';

/** Combines 2-3 entered components (checking each against its check value) and seals the key; returns what goes into the config. */
export function sealZonePinKey(vault: Pick<TerminalKeyVault, 'seal'>, keyRef: HsmKeyRef, algorithm: KeyAlgorithm, components: readonly EnteredComponent[], role: ZoneKeyRole = 'pin'): { keyRef: string; algorithm: KeyAlgorithm; checkValue: string; sealed: string } {
  const hexDigits = keyBytesOf(algorithm) * 2;
  const parts = components.map((component, index) => {
    const hex = component.hex.replace(/[\s-]/g, '');
    if (!new RegExp(`^[0-9A-Fa-f]{${hexDigits}}$`).test(hex)) {
      throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(index + 1), reason: `must be ${hexDigits} hex digits` });
    }
    const bytes = Buffer.from(hex, 'hex');
    if (component.checkValue !== undefined && component.checkValue.trim().toUpperCase() !== keyCheckValue(algorithm, bytes)) {
      throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(index + 1), reason: 'its check value differs from the one given; re-enter it' });
    }
    return bytes;
  });
  let key: Buffer;
  try {
    key = combineKeyComponents(algorithm, parts);
  } catch (error) {
    throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(parts.length), reason: error instanceof RangeError ? error.message : 'unusable' });
  } finally {
    for (const part of parts) part.fill(0);
  }
  try {
    return { keyRef, algorithm, checkValue: keyCheckValue(algorithm, key), sealed: vault.seal(key, sealOwnerOf(keyRef), role) };
  } finally {
    key.fill(0);
  }
}

/** Opens every configured sealed zone PIN key into the software HSM; a key whose check value is not the configured one stops start-up. */
export function loadZonePinKeys(config: ReswipeConfig, vault: Pick<TerminalKeyVault, 'open'>, hsm: Pick<SoftwareHsm, 'importKey'>): void {
  for (const [index, channel] of config.channels.entries()) {
    const zonePinKey = channel.zonePinKey;
    if (zonePinKey?.sealed === undefined || channel.disabled) continue;
    const key = vault.open(zonePinKey.sealed, sealOwnerOf(zonePinKey.keyRef), 'pin');
    try {
      const checkValue = keyCheckValue(zonePinKey.algorithm, key);
      if (!checkValuesAgree(checkValue, zonePinKey.checkValue)) {
        throw new ReswipeError('RSW_CONFIG_RELATION', { field: `channels[${index}].zonePinKey.checkValue`, reason: `(${zonePinKey.checkValue}) is not the check value of the sealed key (${checkValue})` });
      }
      hsm.importKey(zonePinKey.keyRef, { algorithm: zonePinKey.algorithm, key });
    } finally {
      key.fill(0);
    }
  }
}

/**
 * Opens every configured channel MAC key (channels[].mac) into memory, by channel name: the host link's
 * MAC is computed in-process, like the terminal link's. A key whose check value is not the configured one
 * stops start-up.
 */
export function openChannelMacKeys(config: ReswipeConfig, vault: Pick<TerminalKeyVault, 'open'>): Map<string, { algorithm: KeyAlgorithm; key: Buffer }> {
  const keys = new Map<string, { algorithm: KeyAlgorithm; key: Buffer }>();
  for (const [index, channel] of config.channels.entries()) {
    const mac = channel.mac;
    if (mac === undefined || channel.disabled) continue;
    const key = vault.open(mac.sealed, sealOwnerOf(mac.keyRef), 'mac');
    const checkValue = keyCheckValue(mac.algorithm, key);
    if (!checkValuesAgree(checkValue, mac.checkValue)) {
      key.fill(0);
      throw new ReswipeError('RSW_CONFIG_RELATION', { field: `channels[${index}].mac.checkValue`, reason: `(${mac.checkValue}) is not the check value of the sealed key (${checkValue})` });
    }
    keys.set(channel.name, { algorithm: mac.algorithm, key });
  }
  return keys;
}

/** Check values are compared on their common length: 6 hex digits from one side, 8 or 16 from the other. */
export function checkValuesAgree(a: string, b: string): boolean {
  const length = Math.min(a.length, b.length);
  return a.slice(0, length).toUpperCase() === b.slice(0, length).toUpperCase();
}
