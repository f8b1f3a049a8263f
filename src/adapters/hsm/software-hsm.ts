// The software HSM: the HSM port done in this process with Node's crypto (3DES and SM4 from
// src/core/crypto). Keys live only in memory, imported by the gateway or fetched on first use from a
// key source (which unseals them from the key store); nothing is written anywhere. Clear PIN blocks
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
  /** Called when a reference is not held yet (the terminal's PIN key after a restart); null when it does not exist. */
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
    const held = await this.#heldOrFetched(keyRef);
    return held === null ? null : keyCheckValue(held.algorithm, held.key);
  }

  async translatePin(request: PinTranslationRequest): Promise<Uint8Array> {
    const source = await this.#requiredKey(request.source.keyRef);
    const destination = await this.#requiredKey(request.destination.keyRef);
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
  }

  async #requiredKey(keyRef: HsmKeyRef): Promise<{ algorithm: KeyAlgorithm; key: Buffer }> {
    const held = await this.#heldOrFetched(keyRef);
    if (held === null) throw new ReswipeError('RSW_HSM_KEY_UNKNOWN', { keyRef });
    return held;
  }

  async #heldOrFetched(keyRef: HsmKeyRef): Promise<{ algorithm: KeyAlgorithm; key: Buffer } | null> {
    let held = this.#keys.get(keyRef);
    if (held === undefined && this.#keySource !== undefined) {
      let fetched: HsmKey | null;
      try {
        fetched = await this.#keySource(keyRef);
      } catch (error) {
        throw new ReswipeError('RSW_HSM_UNAVAILABLE', { reason: `the key source failed for ${keyRef}` }, { cause: error });
      }
      if (fetched !== null) {
        this.importKey(keyRef, fetched);
        held = this.#keys.get(keyRef);
      }
    }
    return held ?? null;
  }
}
