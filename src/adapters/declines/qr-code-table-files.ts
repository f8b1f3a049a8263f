// Reads the QR providers' catalogues shipped beside the card codes (src/core/declines/qr-codes-*.json);
// parsing and validation are the core's (parseQrCodeTable). Production needs both files: a missing one
// stops the process. Tests that run before a provider's file exists pass `missingAllowed`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { parseQrCodeTable, type QrCodeTable, type QrCodeTables } from '../../core/declines/qr-code-table.ts';
import type { QrProtocol } from '../../core/ports/qr-channel.ts';

/** The shipped file of each provider's catalogue. */
export const qrCodeTableFiles: Readonly<Record<QrProtocol, string>> = Object.freeze({
  'wechatpay-v2': fileURLToPath(new URL('../../core/declines/qr-codes-wechat.json', import.meta.url)),
  alipay: fileURLToPath(new URL('../../core/declines/qr-codes-alipay.json', import.meta.url)),
});

const cache = new Map<string, QrCodeTable>();

/** Reads one catalogue file (once per process), or null when it is missing and that is allowed. */
export function loadQrCodeTableFile(file: string, options: { missingAllowed?: boolean } = {}): QrCodeTable | null {
  const cached = cache.get(file);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.missingAllowed === true) return null;
    throw new ReswipeError('RSW_DECLINE_DATA_INVALID', { file, field: '$', reason: code === 'ENOENT' ? 'the QR code catalogue is missing' : (code ?? 'read failed') }, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ReswipeError('RSW_DECLINE_DATA_INVALID', { file, field: '$', reason: `not valid JSON (${(error as Error).message})` }, { cause: error });
  }
  const table = parseQrCodeTable(document, file);
  cache.set(file, table);
  return table;
}

/** Both shipped catalogues by provider. */
export function loadQrCodeTables(options: { missingAllowed?: boolean } = {}): QrCodeTables {
  const tables: Partial<Record<QrProtocol, QrCodeTable>> = {};
  for (const [provider, file] of Object.entries(qrCodeTableFiles) as [QrProtocol, string][]) {
    const table = loadQrCodeTableFile(file, options);
    if (table === null) continue;
    if (table.provider !== provider) throw new ReswipeError('RSW_DECLINE_DATA_INVALID', { file, field: '$.provider', reason: `expected ${provider}` });
    tables[provider] = table;
  }
  return tables;
}
