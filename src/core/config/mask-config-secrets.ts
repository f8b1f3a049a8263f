// Secrets never leave the process in clear, not even in `reswipe config print` or a start-up log line.
// This returns a masked copy of a configuration: the PAN key, the password in a database URL, and any
// string under a key that names a secret (`*secret*`, `*password*`, `*token*`, `*Key`).

/** The text that replaces a secret. */
export const maskedSecretText = '********';

const secretKeyPattern = /(secret|password|passwd|token|credential|key)$|secret|password/i;

/** Returns a masked, unfrozen copy of a configuration (or any part of one). */
export function maskConfigSecrets(value: unknown): unknown {
  return mask(value, undefined);
}

/** Replaces the password in a URL such as postgres://user:password@host/db; other URLs are unchanged. */
export function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):([^@/?#]*)@/i, (_whole, prefix: string) => `${prefix}:${maskedSecretText}@`);
}

function mask(value: unknown, key: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => mask(item, undefined));
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [childKey, child] of Object.entries(value)) copy[childKey] = mask(child, childKey);
    return copy;
  }
  if (typeof value !== 'string' || key === undefined) return value;
  if (secretKeyPattern.test(key)) return maskedSecretText;
  if (/url$/i.test(key)) return maskUrlPassword(value);
  return value;
}
