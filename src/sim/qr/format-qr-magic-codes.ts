// The QR sandbox's magic codes as text (`reswipe qr-sim` prints it at start and with --list) and as
// JSON: one table per provider, from the providers themselves so the table never drifts from them.
import type { QrSandboxProvider } from './qr-sandbox-provider.ts';

export function qrMagicCodesJson(providers: readonly QrSandboxProvider[]): Record<string, Array<{ code: string; outcome: string }>> {
  return Object.fromEntries(providers.map((provider) => [provider.name, provider.magicCodes().map((row) => ({ code: row.code, outcome: row.outcome }))]));
}

export function formatQrMagicCodes(providers: readonly QrSandboxProvider[]): string {
  let text = '';
  for (const provider of providers) {
    const rows = provider.magicCodes();
    const width = Math.min(Math.max(...rows.map((row) => row.code.length), 4), 40);
    text += `${provider.name} magic auth codes:\n`;
    for (const row of rows) text += `  ${row.code.padEnd(width)}  ${row.outcome}\n`;
    text += '\n';
  }
  return text;
}
