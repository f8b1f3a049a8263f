// The QR catalogues for tests: the shipped files when they exist, else the minimal fixtures of
// test/fixtures/qr/ (the provider files are written on the adapters' branches).
import { fileURLToPath } from 'node:url';
import { loadQrCodeTableFile, loadQrCodeTables } from '../../src/adapters/declines/qr-code-table-files.ts';
import type { QrCodeTables } from '../../src/core/declines/qr-code-table.ts';

const fixtureFiles = {
  'wechatpay-v2': fileURLToPath(new URL('../fixtures/qr/qr-codes-wechat.fixture.json', import.meta.url)),
  alipay: fileURLToPath(new URL('../fixtures/qr/qr-codes-alipay.fixture.json', import.meta.url)),
} as const;

export function testQrCodeTables(): QrCodeTables {
  const shipped = loadQrCodeTables({ missingAllowed: true });
  return {
    'wechatpay-v2': shipped['wechatpay-v2'] ?? loadQrCodeTableFile(fixtureFiles['wechatpay-v2'])!,
    alipay: shipped.alipay ?? loadQrCodeTableFile(fixtureFiles.alipay)!,
  };
}
