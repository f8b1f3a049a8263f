// The file test terminals keep their master keys in: what the emulator (`reswipe terminal`) and the
// load generator read so they can sign on for working keys and MAC their messages, and what the demo
// writes for them. A real terminal holds its TMK in its secure element; this file is its stand-in, so
// it is treated like a key file: JSON `{ "T0000001": { "algorithm": "3des", "tmk": "<32 hex>" } }`,
// mode 0600, refused when others may read it.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { keyAlgorithms, keyBytesOf, type KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

export interface TerminalMasterKey {
  algorithm: KeyAlgorithm;
  tmk: Buffer;
}

/** Terminals one file may hold. */
const terminalsMax = 10_000;

export function readTerminalMasterKeys(path: string): Map<string, TerminalMasterKey> {
  const bad = (reason: string): never => {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'terminal-keys-file', reason });
  };
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) bad(`${path} may be read by others; chmod 600`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ReswipeError) throw error;
    return bad(`${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return bad('must be JSON: { "<terminal id>": { "algorithm": "3des" | "sm4", "tmk": "<hex>" } }');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('must be a JSON object keyed by terminal id');
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > terminalsMax) bad(`holds more than ${terminalsMax} terminals`);
  const keys = new Map<string, TerminalMasterKey>();
  for (const [terminalId, value] of entries) {
    const entry = value as { algorithm?: unknown; tmk?: unknown };
    const algorithm = entry?.algorithm;
    if (typeof algorithm !== 'string' || !(keyAlgorithms as readonly string[]).includes(algorithm)) bad(`${terminalId}: algorithm must be ${keyAlgorithms.join(' or ')}`);
    const hexDigits = keyBytesOf(algorithm as KeyAlgorithm) * 2;
    if (typeof entry.tmk !== 'string' || !new RegExp(`^[0-9A-Fa-f]{${hexDigits}}$`).test(entry.tmk)) bad(`${terminalId}: tmk must be ${hexDigits} hex digits`);
    keys.set(terminalId, { algorithm: algorithm as KeyAlgorithm, tmk: Buffer.from(entry.tmk as string, 'hex') });
  }
  return keys;
}

export function writeTerminalMasterKeys(path: string, keys: ReadonlyMap<string, TerminalMasterKey>): void {
  const json: Record<string, { algorithm: KeyAlgorithm; tmk: string }> = {};
  for (const [terminalId, key] of keys) json[terminalId] = { algorithm: key.algorithm, tmk: key.tmk.toString('hex').toUpperCase() };
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 });
}
