// The software HSM: the HSM port done in this process with Node's crypto (3DES and SM4 from
// src/core/crypto). Keys live only in memory: imported by the gateway (zone PIN keys), or fetched for
// one call from a key source (a terminal's PIN key, unsealed from the key store) and wiped after it,
// so a key that a new sign-on replaced is never used; nothing is written anywhere. Clear PIN blocks
// exist only inside translatePin and are wiped before it returns; neither they nor keys are ever
// logged or put in an error. It is not an HSM: the keys sit in the gateway's memory, where anyone who
// can read that memory can read them. docs/security.md says when that is acceptable and when not.
import { blockBytesOf, decryptEcb, encryptEcb, type KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { keyCheckValue } from '../../core/crypto/key-check-value.ts';
import { reformPinBlock } from '../../core/crypto/pin-block.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { HsmKey, HsmKeyRef, HsmPort, PinTranslationRequest } from '../../core/ports/hsm.ts';

/** Keys held at once; a gateway with more terminals than this needs a hardware HSM anyway. */
export const softwareHsmKeysMaxDefault = 200_000;

export interface SoftwareHsmOptions {
  /** Called for a reference not imported (a terminal's current PIN key); null when there is none. The key is used for one call and wiped, never kept. */
  keySource?: (keyRef: HsmKeyRef) => Promise<HsmKey | null>;
  keysMax?: number;
}

export class SoftwareHsm implements HsmPort {
  readonly #keys = new Map<HsmKeyRef, { algorithm: KeyAlgorithm; key: Buffer }>();
  readonly #keySource: SoftwareHsmOptions['keySource'];
  readonly #keysMax: number;

  constructor(options: SoftwareHsmOptions = {}) {
    this.#keySource = options.keySource;
    this.#keysMax = options.keysMax ?? softwareHsmKeysMaxDefault;
  }

  /** Holds a key under a reference, replacing (and wiping) the one it had; returns its check value. */
  importKey(keyRef: HsmKeyRef, key: HsmKey): string {
    const bytes = Buffer.from(key.key);
    // Proves the key fits its algorithm before it is kept: a wrong length throws here, not at the first PIN.
    const checkValue = keyCheckValue(key.algorithm, bytes);
    if (!this.#keys.has(keyRef) && this.#keys.size >= this.#keysMax) {
      bytes.fill(0);
      throw new ReswipeError('RSW_HSM_UNAVAILABLE', { reason: `the software HSM holds its maximum of ${this.#keysMax} keys` });
    }
    this.forgetKey(keyRef);
    this.#keys.set(keyRef, { algorithm: key.algorithm, key: bytes });
    return checkValue;
  }

  /** Drops and wipes a key (a terminal's old PIN key after a new sign-on). */
  forgetKey(keyRef: HsmKeyRef): void {
    this.#keys.get(keyRef)?.key.fill(0);
    this.#keys.delete(keyRef);
  }

  async checkValueOf(keyRef: HsmKeyRef): Promise<string | null> {
    const found = await this.#find(keyRef);
    if (found === null) return null;
    try {
      return keyCheckValue(found.algorithm, found.key);
    } finally {
      if (found.fetched) found.key.fill(0);
    }
  }

  async translatePin(request: PinTranslationRequest): Promise<Uint8Array> {
    const source = await this.#require(request.source.keyRef);
    let destination: Found | null = null;
    try {
      destination = await this.#require(request.destination.keyRef);
      if (request.pinBlock.length !== blockBytesOf(source.algorithm)) {
        throw new ReswipeError('RSW_HSM_PIN_BLOCK_INVALID', { reason: `a ${source.algorithm} PIN block is ${blockBytesOf(source.algorithm)} bytes, not ${request.pinBlock.length}` });
      }
      const clear = decryptEcb(source.algorithm, source.key, request.pinBlock);
      try {
        const reformed = reformPinBlock(clear, request.accountNumber12, blockBytesOf(destination.algorithm) as 8 | 16);
        if (reformed.kind === 'invalid') {
          // Almost always the terminal and reswipe disagree on the PIN key; the problem names the check, never the block.
          throw new ReswipeError('RSW_HSM_PIN_BLOCK_INVALID', { reason: reformed.problem });
        }
        try {
          return encryptEcb(destination.algorithm, destination.key, reformed.block);
        } finally {
          reformed.block.fill(0);
        }
      } finally {
        clear.fill(0);
      }
    } finally {
      if (source.fetched) source.key.fill(0);
      if (destination?.fetched === true) destination.key.fill(0);
    }
  }

  async #require(keyRef: HsmKeyRef): Promise<Found> {
    const found = await this.#find(keyRef);
    if (found === null) throw new ReswipeError('RSW_HSM_KEY_UNKNOWN', { keyRef });
    return found;
  }

  /** An imported key (kept), else one from the key source (`fetched`: the caller wipes it after use). */
  async #find(keyRef: HsmKeyRef): Promise<Found | null> {
    const held = this.#keys.get(keyRef);
    if (held !== undefined) return { ...held, fetched: false };
    if (this.#keySource === undefined) return null;
    let fetched: HsmKey | null;
    try {
      fetched = await this.#keySource(keyRef);
    } catch (error) {
      throw new ReswipeError('RSW_HSM_UNAVAILABLE', { reason: `the key source failed for ${keyRef}` }, { cause: error });
    }
    if (fetched === null) return null;
    const key = Buffer.from(fetched.key);
    // Proves the key fits its algorithm (a wrong length throws RangeError here, not mid-translation).
    keyCheckValue(fetched.algorithm, key);
    return { algorithm: fetched.algorithm, key, fetched: true };
  }
}

interface Found {
  algorithm: KeyAlgorithm;
  key: Buffer;
  fetched: boolean;
}
