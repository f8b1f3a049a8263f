// The local key vault for terminal keys: seals each key (TMK, PIN, MAC, data key) under the
// gateway's local master key with AES-256-GCM before it reaches the database, and opens it again
// in memory only. The additional data binds a sealed key to its terminal and role, so a sealed key
// copied into another row or role does not open. Key generation (random, odd DES parity) lives here
// too, since it needs the system's randomness, which the pure core does not take.
//
// Sealed form: `v1.<master key id>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id is the
// first 8 hex digits of HMAC-SHA-256(master key, "reswipe terminal master key id"): it names the
// master key in errors and `terminal-keys list` without revealing anything about it.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { keyBytesOf, type KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { withOddParity } from '../../core/crypto/key-components.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

/** What a sealed key is for; part of the additional data, so roles cannot be swapped. */
export type SealedKeyRole = 'tmk' | 'pin' | 'mac' | 'data' | 'webhook';

const masterKeyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;

/**
 * The development master key: used only when development mode is on and no key is configured, so the
 * demo and the tests run without ceremony. It is public (it is in this file), so anything sealed
 * under it is as good as clear; production refuses to start without a configured key.
 */
const developmentMasterKeyHex = '6465762d6f6e6c792d7265737769706521212121212121212121212121212121';

export interface MasterKeySettings {
  terminalMasterKey?: string;
  terminalMasterKeyFile?: string;
  developmentMode: boolean;
}

export type MasterKeySource = 'config' | 'file' | 'development';

export class TerminalKeyVault {
  readonly #masterKey: Buffer;
  readonly keyId: string;
  readonly source: MasterKeySource;

  constructor(masterKey: Uint8Array, source: MasterKeySource) {
    if (masterKey.length !== masterKeyBytes) throw new RangeError(`the local master key is ${masterKeyBytes} bytes, not ${masterKey.length}`);
    this.#masterKey = Buffer.from(masterKey);
    this.keyId = createHmac('sha256', this.#masterKey).update('reswipe terminal master key id').digest('hex').slice(0, 8);
    this.source = source;
  }

  /**
   * The vault for these settings: the configured key, else the key file (which must be mode 0600),
   * else, in development mode only, the development key. Throws RSW_TERMINAL_KEYS_NO_MASTER_KEY or
   * RSW_TERMINAL_KEYS_MASTER_KEY_FILE.
   */
  static fromSettings(settings: MasterKeySettings): TerminalKeyVault {
    if (settings.terminalMasterKey !== undefined) return new TerminalKeyVault(Buffer.from(settings.terminalMasterKey, 'hex'), 'config');
    const path = settings.terminalMasterKeyFile;
    if (path !== undefined) {
      let text: string;
      try {
        const mode = statSync(path).mode & 0o777;
        if ((mode & 0o077) !== 0) throw new ReswipeError('RSW_TERMINAL_KEYS_MASTER_KEY_FILE', { path, reason: `mode ${mode.toString(8)} lets others read it; chmod 600` });
        text = readFileSync(path, 'utf8').trim();
      } catch (error) {
        if (error instanceof ReswipeError) throw error;
        throw new ReswipeError('RSW_TERMINAL_KEYS_MASTER_KEY_FILE', { path, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
      }
      if (!/^[0-9A-Fa-f]{64}$/.test(text)) throw new ReswipeError('RSW_TERMINAL_KEYS_MASTER_KEY_FILE', { path, reason: 'must hold 64 hex digits' });
      return new TerminalKeyVault(Buffer.from(text, 'hex'), 'file');
    }
    if (settings.developmentMode) return new TerminalKeyVault(Buffer.from(developmentMasterKeyHex, 'hex'), 'development');
    throw new ReswipeError('RSW_TERMINAL_KEYS_NO_MASTER_KEY', {});
  }

  seal(clear: Uint8Array, terminalId: string, role: SealedKeyRole): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#masterKey, iv);
    cipher.setAAD(additionalData(terminalId, role));
    const body = Buffer.concat([cipher.update(clear), cipher.final()]);
    return ['v1', this.keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Opens a sealed key; throws RSW_TERMINAL_KEYS_UNSEALABLE (never the bytes) when it was sealed elsewhere or altered. */
  open(sealed: string, terminalId: string, role: SealedKeyRole): Buffer {
    const parts = sealed.split('.');
    const fail = (): never => {
      throw new ReswipeError('RSW_TERMINAL_KEYS_UNSEALABLE', { role, terminalId });
    };
    if (parts.length !== 5 || parts[0] !== 'v1' || parts[1] !== this.keyId) return fail();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#masterKey, Buffer.from(parts[2] as string, 'base64url'));
      decipher.setAAD(additionalData(terminalId, role));
      const tag = Buffer.from(parts[3] as string, 'base64url');
      if (tag.length !== tagBytes) return fail();
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(parts[4] as string, 'base64url')), decipher.final()]);
    } catch {
      return fail();
    }
  }
}

/**
 * Seals a sensitive text field (a payout account number, docs/payouts.md) under the same master key,
 * in the same envelope, with its own additional data: `reswipe sealed field v1|<purpose>|<owner>`.
 * A sealed field never opens as a key, nor for another owner or purpose.
 */
export function sealField(vault: TerminalKeyVault, clear: string, purpose: string, owner: string): string {
  return vault.seal(Buffer.from(clear, 'utf8'), fieldContext(purpose, owner), 'data');
}

/** Opens a sealed field; null when it was sealed under another master key, for another owner, or altered (never the bytes). */
export function openField(vault: TerminalKeyVault, sealed: string, purpose: string, owner: string): string | null {
  try {
    return vault.open(sealed, fieldContext(purpose, owner), 'data').toString('utf8');
  } catch {
    return null;
  }
}

// The terminal-key additional data is `reswipe terminal key v1|<terminal>|<role>`; a field's "terminal"
// part starts with `field:` and terminal ids never hold ':', so the two kinds of envelope never collide.
function fieldContext(purpose: string, owner: string): string {
  return `field:${purpose}:${owner}`;
}

function additionalData(terminalId: string, role: SealedKeyRole): Buffer {
  return Buffer.from(`reswipe terminal key v1|${terminalId}|${role}`, 'utf8');
}

/** A fresh random key for the algorithm (16 bytes); triple DES keys get odd parity. */
export function generateKey(algorithm: KeyAlgorithm): Buffer {
  const key = randomBytes(keyBytesOf(algorithm));
  return algorithm === '3des' ? withOddParity(key) : key;
}
