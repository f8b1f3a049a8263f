// The bank transfer file (批量代付文件) reswipe writes for a set of payouts, format RSWPAY v1
// (docs/payouts.md): UTF-8, one record a line, fields separated by `|`, lines ending in CRLF.
//
//   H|RSWPAY|1|<file id>|<created at, ISO 8601 UTC>|<count>|<total yuan>|CNY
//   D|<seq>|<payout id>|<bank code>|<account number>|<account name>|<amount yuan>|CNY|<memo>
//   T|<count>|<total yuan>
//
// The file is the one place a clear account number is written: it goes to the bank (through the
// operator's channel), never to a log. Amounts are yuan with exactly two decimals, made from fen
// with integer arithmetic.
import { formatMinorAsYuan } from '../../core/fees/parse-yuan.ts';

export const transferFileFormat = 'RSWPAY';
export const transferFileVersion = '1';
/** Transfers in one file: banks' batch files cap the count; beyond it the export makes several files. */
export const transferFileLinesMax = 5_000;

export interface TransferLine {
  readonly payoutId: string;
  readonly bankCode: string;
  /** Clear, only in memory while the file is written. */
  readonly accountNumber: string;
  readonly accountName: string;
  readonly amountMinor: number;
  readonly merchantId: string;
  readonly businessDate: string;
}

export function writeTransferFile(fileId: string, createdAtMs: number, lines: readonly TransferLine[]): string {
  if (lines.length === 0 || lines.length > transferFileLinesMax) throw new Error(`a transfer file holds 1 to ${transferFileLinesMax} transfers, not ${lines.length}`);
  const totalMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0);
  const rows = [['H', transferFileFormat, transferFileVersion, fileId, new Date(createdAtMs).toISOString(), String(lines.length), formatMinorAsYuan(totalMinor), 'CNY']];
  lines.forEach((line, index) => {
    if (!(Number.isSafeInteger(line.amountMinor) && line.amountMinor > 0)) throw new Error(`broken invariant: transfer ${line.payoutId} amount ${line.amountMinor}`);
    rows.push(['D', String(index + 1), line.payoutId, line.bankCode, line.accountNumber, line.accountName, formatMinorAsYuan(line.amountMinor), 'CNY', `结算款 ${line.merchantId} ${line.businessDate}`]);
  });
  rows.push(['T', String(lines.length), formatMinorAsYuan(totalMinor)]);
  for (const row of rows) {
    for (const field of row) if (/[|\r\n]/.test(field)) throw new Error('broken invariant: a transfer file field holds | or a line break');
  }
  return `${rows.map((row) => row.join('|')).join('\r\n')}\r\n`;
}
