// A scanned QR auth code (付款码) is a bearer credential while it is valid: logs, errors and stores see
// at most its first four and last four characters.

/** `134500******0001`-style: first 4 and last 4 characters of a code of 12 or more; shorter codes show only their length. */
export function maskAuthCode(authCode: string): string {
  if (authCode.length >= 12) return `${authCode.slice(0, 4)}${'*'.repeat(authCode.length - 8)}${authCode.slice(-4)}`;
  return '*'.repeat(Math.min(authCode.length, 32));
}
