// The duplicate-detection fingerprint of a request: SHA-256 over canonical JSON (keys sorted), so the
// same request always hashes the same whatever the key order. Callers hash the card's keyed
// fingerprint, never the PAN, CVV or track data, so the hash stored with the idempotency key is no
// card data either.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level; arrays keep their order; undefined members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  // Every sale hashes one object: keys sorted in place and the text built in one pass, without the
  // entry pairs and the three intermediate arrays of entries().filter().sort().map(). The default sort
  // compares UTF-16 code units, as `a < b` does.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${text}}`;
}

/** Hex SHA-256 of the canonical JSON of a request. */
export function requestHashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
