// Secrets never leave the process in clear, not even in `reswipe config print` or a log line. This
// returns a masked copy of a configuration: the PAN keys, every string under a key that names a secret
// (`*secret*`, `*password*`, `*token*`, `*Key`), and in every string the password of a URL in each of
// its forms: `user:password@`, a password holding `@` or `/`, and query parameters such as `?password=`.

/** The text that replaces a secret. */
export const maskedSecretText = '********';

const secretKeyPattern = /(secret|password|passwd|token|credential|keys?)$|secret|password/i;

/** Query parameters that carry a secret in connection URLs (libpq's `password`, `sslpassword`, and the usual others). */
// `key` and `access_token` are the credentials in WeCom and DingTalk robot URLs (alerts.targets[].url).
const secretQueryParameterPattern = /([?&;](?:password|passwd|pwd|pass|sslpassword|secret|client_secret|token|access_token|api_?key|access_?key|key)=)([^&#;\s]*)/gi;

/**
 * The user information of a URL: everything between `scheme://` and the LAST `@` before the query, so a
 * password holding an unencoded `@` or `/` is masked whole (over-masking a path with an `@` is harmless).
 */
const userInfoPattern = /([a-z][a-z0-9+.-]*:\/\/)([^?#\s]*)@/gi;

/** Returns a masked, unfrozen copy of a configuration (or any part of one). */
export function maskConfigSecrets(value: unknown): unknown {
  return mask(value, undefined);
}

/** Replaces the password in a URL such as postgres://user:password@host/db?password=x; other URLs are unchanged. */
export function maskUrlPassword(url: string): string {
  return maskSecretsInText(url);
}

/** Masks the password of every URL in a text (a log message, a driver error), wherever it is written. */
export function maskSecretsInText(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  return text
    .replace(userInfoPattern, (whole, scheme: string, userInfo: string) => {
      const colon = userInfo.indexOf(':');
      return colon < 0 ? whole : `${scheme}${userInfo.slice(0, colon)}:${maskedSecretText}@`;
    })
    .replace(secretQueryParameterPattern, (_whole, name: string) => `${name}${maskedSecretText}`);
}

function mask(value: unknown, key: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => mask(item, key));
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [childKey, child] of Object.entries(value)) copy[childKey] = mask(child, childKey);
    return copy;
  }
  if (typeof value !== 'string') return value;
  if (key !== undefined && secretKeyPattern.test(key)) return maskedSecretText;
  return maskSecretsInText(value);
}
