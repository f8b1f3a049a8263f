// The signature every webhook delivery carries (docs/webhooks.md):
//
//   Reswipe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=<...>]
//
// One `v1` per signing secret that is live: while a secret is rotated the old and the new one both
// sign, so a receiver that still knows only the old secret keeps verifying. The timestamp is inside
// the signed text, so a captured delivery cannot be replayed later with a fresh `t`. Pure: the time
// is an input. Receivers use verifyWebhookSignature (the same code the docs print).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeaderName = 'Reswipe-Signature';
/** How far a receiver should accept a `t` from its own clock, by default (5 minutes, either way). */
export const signatureToleranceSecondsDefault = 300;
/** The most `v1` values one header may carry (a rotation overlaps two secrets; more is a mistake). */
export const signaturesPerHeaderMax = 4;

/** Hex HMAC-SHA256 of `<t>.<body>` under one secret. */
export function signWebhookBody(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

/** The header value for a body, signed by every live secret (newest first). */
export function webhookSignatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  if (secrets.length === 0 || secrets.length > signaturesPerHeaderMax) throw new Error(`a delivery is signed by 1 to ${signaturesPerHeaderMax} secrets, not ${secrets.length}`);
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new Error('the signature timestamp is whole unix seconds');
  return [`t=${timestampSeconds}`, ...secrets.map((secret) => `v1=${signWebhookBody(secret, timestampSeconds, body)}`)].join(',');
}

export type SignatureCheck = { ok: true; timestampSeconds: number } | { ok: false; reason: 'malformed' | 'too_old_or_new' | 'no_match' };

/** Parses `t=...,v1=...,v1=...`; null when the header is not of that shape. */
export function parseSignatureHeader(header: string): { timestampSeconds: number; signatures: string[] } | null {
  if (header.length > 1024) return null;
  let timestampSeconds: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value, extra] = part.trim().split('=');
    if (value === undefined || extra !== undefined) return null;
    if (name === 't') {
      if (!/^[0-9]{1,12}$/.test(value) || timestampSeconds !== null) return null;
      timestampSeconds = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return null;
      signatures.push(value);
    } // other schemes (a future v2) are ignored, so receivers keep working while both are sent
  }
  if (timestampSeconds === null || signatures.length === 0) return null;
  return { timestampSeconds, signatures };
}

/**
 * A receiver's check: the header parses, its `t` is within `toleranceSeconds` of the receiver's clock,
 * and one `v1` equals the HMAC of `<t>.<raw body>` under one of the receiver's secrets (compared in
 * constant time). `body` must be the raw bytes as received, before any JSON parsing.
 */
export function verifyWebhookSignature(input: { header: string; body: string; secrets: readonly string[]; nowSeconds: number; toleranceSeconds?: number }): SignatureCheck {
  const parsed = parseSignatureHeader(input.header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  const tolerance = input.toleranceSeconds ?? signatureToleranceSecondsDefault;
  if (Math.abs(input.nowSeconds - parsed.timestampSeconds) > tolerance) return { ok: false, reason: 'too_old_or_new' };
  for (const secret of input.secrets) {
    const expected = Buffer.from(signWebhookBody(secret, parsed.timestampSeconds, input.body), 'hex');
    for (const given of parsed.signatures) {
      if (timingSafeEqual(expected, Buffer.from(given, 'hex'))) return { ok: true, timestampSeconds: parsed.timestampSeconds };
    }
  }
  return { ok: false, reason: 'no_match' };
}
