// Key ceremonies for terminal master keys (docs/terminal-keys.md): import a TMK as 2-3 components
// (each checked against the check value its custodian reads out), generate one (returned once as
// components, for the custodians to load into the terminal), rotate it, and list what is stored.
// Clear keys exist only in memory here; the store gets them sealed, and events carry check values.
import { keyBytesOf, type KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { combineKeyComponents, keyComponentsMax, keyComponentsMin } from '../../core/crypto/key-components.ts';
import { keyCheckValue } from '../../core/crypto/key-check-value.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { Store, TerminalKeyRecord } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { generateKey, type TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';

export interface KeyComponentInput {
  /** The component as hex digits (spaces allowed between groups). */
  hex: string;
  /** The check value the custodian read out; when given it must match. */
  checkValue?: string;
}

export interface ShownComponent {
  hex: string;
  checkValue: string;
}

/** What `terminal-keys list` shows: never a key, only check values. */
export interface TerminalKeySummary {
  terminalId: string;
  algorithm: KeyAlgorithm;
  tmkCheckValue: string;
  tmkSource: TerminalKeyRecord['tmkSource'];
  tmkVersion: number;
  workingKeys: { pinCheckValue: string; macCheckValue: string; dataCheckValue: string | null; issuedAtMs: number } | null;
  updatedAtMs: number;
}

export class TerminalKeyCeremonies {
  readonly #store: Store;
  readonly #vault: TerminalKeyVault;
  readonly #clock: Clock;

  constructor(options: { store: Store; vault: TerminalKeyVault; clock: Clock }) {
    this.#store = options.store;
    this.#vault = options.vault;
    this.#clock = options.clock;
  }

  /** A first TMK from 2-3 components; `rotate: true` replaces an existing one. Returns the TMK's check value. */
  async importComponents(terminalId: string, algorithm: KeyAlgorithm, components: readonly KeyComponentInput[], rotate = false): Promise<{ checkValue: string; componentCheckValues: string[] }> {
    if (components.length < keyComponentsMin || components.length > keyComponentsMax) {
      throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(components.length), reason: `give ${keyComponentsMin} to ${keyComponentsMax} components` });
    }
    const keyHexDigits = keyBytesOf(algorithm) * 2;
    const parsed = components.map((component, index) => {
      const hex = component.hex.replace(/[\s-]/g, '');
      if (!new RegExp(`^[0-9A-Fa-f]{${keyHexDigits}}$`).test(hex)) {
        throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(index + 1), reason: `must be ${keyHexDigits} hex digits` });
      }
      const bytes = Buffer.from(hex, 'hex');
      const checkValue = keyCheckValue(algorithm, bytes);
      if (component.checkValue !== undefined && component.checkValue.trim().toUpperCase() !== checkValue) {
        throw new ReswipeError('RSW_TERMINAL_KEYS_COMPONENT_INVALID', { index: String(index + 1), reason: 'its check value differs from the one given; re-enter it' });
      }
      return { bytes, checkValue };
    });
    const tmk = combineKeyComponents(algorithm, parsed.map((component) => component.bytes));
    const checkValue = await this.#keep(terminalId, algorithm, tmk, 'components', rotate);
    return { checkValue, componentCheckValues: parsed.map((component) => component.checkValue) };
  }

  /** A fresh random TMK, returned ONCE as `componentCount` components with check values; only the sealed key is kept. */
  async generate(terminalId: string, algorithm: KeyAlgorithm, componentCount: number, rotate = false): Promise<{ checkValue: string; components: ShownComponent[] }> {
    if (!Number.isInteger(componentCount) || componentCount < keyComponentsMin || componentCount > keyComponentsMax) {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'components', reason: `must be ${keyComponentsMin} to ${keyComponentsMax}` });
    }
    const parts = Array.from({ length: componentCount }, () => generateKey(algorithm));
    const tmk = combineKeyComponents(algorithm, parts);
    const checkValue = await this.#keep(terminalId, algorithm, tmk, 'generated', rotate);
    return { checkValue, components: parts.map((part) => ({ hex: part.toString('hex').toUpperCase(), checkValue: keyCheckValue(algorithm, part) })) };
  }

  async list(): Promise<TerminalKeySummary[]> {
    return (await this.#store.listTerminalKeys()).map((record) => ({
      terminalId: record.terminalId,
      algorithm: record.algorithm,
      tmkCheckValue: record.tmkCheckValue,
      tmkSource: record.tmkSource,
      tmkVersion: record.tmkVersion,
      workingKeys:
        record.workingKeys === null
          ? null
          : { pinCheckValue: record.workingKeys.pinCheckValue, macCheckValue: record.workingKeys.macCheckValue, dataCheckValue: record.workingKeys.dataCheckValue, issuedAtMs: record.workingKeys.issuedAtMs },
      updatedAtMs: record.updatedAtMs,
    }));
  }

  /** Seals and stores a TMK; a new TMK always clears the working keys (the terminal must sign on under it). */
  async #keep(terminalId: string, algorithm: KeyAlgorithm, tmk: Buffer, source: TerminalKeyRecord['tmkSource'], rotate: boolean): Promise<string> {
    const checkValue = keyCheckValue(algorithm, tmk);
    const tmkSealed = this.#vault.seal(tmk, terminalId, 'tmk');
    tmk.fill(0);
    const nowMs = this.#clock.nowMs();
    await this.#store.write(async (tx) => {
      if ((await tx.getTerminal(terminalId)) === null) throw new ReswipeError('RSW_TERMINAL_KEYS_UNKNOWN_TERMINAL', { terminalId });
      const existing = await tx.getTerminalKeys(terminalId);
      if (existing !== null && !rotate) throw new ReswipeError('RSW_TERMINAL_KEYS_EXIST', { terminalId, checkValue: existing.tmkCheckValue });
      if (existing === null && rotate) throw new ReswipeError('RSW_TERMINAL_KEYS_NOT_FOUND', { terminalId });
      await tx.upsertTerminalKeys({
        terminalId,
        algorithm,
        tmkSealed,
        tmkCheckValue: checkValue,
        tmkSource: source,
        tmkVersion: (existing?.tmkVersion ?? 0) + 1,
        workingKeys: null,
        createdAtMs: existing?.createdAtMs ?? nowMs,
        updatedAtMs: nowMs,
      });
      await tx.appendEvent({
        type: rotate ? 'terminal.master_key_rotated' : 'terminal.master_key_stored',
        subjectId: terminalId,
        payload: { algorithm, source, checkValue, ...(existing === null ? {} : { previousCheckValue: existing.tmkCheckValue }) },
        atMs: nowMs,
      });
    });
    return checkValue;
  }
}
