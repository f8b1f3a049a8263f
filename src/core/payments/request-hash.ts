// The duplicate-detection fingerprint of a request: SHA-256 over canonical JSON (keys sorted), so the
// same request always hashes the same whatever the key order. Callers hash the card's keyed
// fingerprint, never the PAN, CVV or track data, so the hash stored with the idempotency key is no
// card data either.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level; arrays keep their order; undefined members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
}

/** Hex SHA-256 of the canonical JSON of a request. */
export function requestHashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
