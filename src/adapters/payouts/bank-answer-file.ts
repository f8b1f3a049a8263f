// Reading the bank's answer file (回盘文件), format RSWANS v1 (docs/payouts.md): UTF-8 (a BOM is
// ignored), fields separated by `|`, lines ending in CRLF or LF.
//
//   H|RSWANS|1|<file id>|<answered at, ISO 8601>|<count>
//   D|<seq>|<payout id>|S|<amount yuan>|<bank reference>||
//   D|<seq>|<payout id>|F|<amount yuan>|<bank reference>|<reason code>|<reason text, e.g. 账户名不符>
//   T|<count>|<total yuan>
//
// Bank references and texts are stored and shown, so digit runs in them that look like a card number
// are masked as card numbers are. The whole file is checked before anything is applied: a bad line refuses the file with its line
// number (RSW_PAYOUT_FILE_INVALID), so a half-read answer never marks half the payouts.
import { maskPansInText } from '../../core/cards/pan.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { answerFileBytesMax } from '../../core/payouts/answer-file-limits.ts';
import type { PayoutAnswer } from '../../core/payouts/payout-state.ts';

export const answerFileFormat = 'RSWANS';
export const answerFileLinesMax = 20_000;
const reasonTextCharsMax = 200;
const fieldCharsMax = 64;

export interface AnswerFile {
  readonly fileId: string;
  readonly answeredAtMs: number;
  readonly answers: readonly PayoutAnswer[];
}

const yuanPattern = /^(\d{1,10})\.(\d{2})$/;
const idPattern = /^[A-Za-z0-9_.-]{1,128}$/;

export function parseAnswerFile(text: string, source = 'answer'): AnswerFile {
  const fail = (line: number, reason: string): never => {
    throw new ReswipeError('RSW_PAYOUT_FILE_INVALID', { source, line, reason, field: 'file' });
  };
  if (Buffer.byteLength(text, 'utf8') > answerFileBytesMax) fail(0, `the file is over ${answerFileBytesMax} bytes`);
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length > answerFileLinesMax + 2) fail(0, `the file has more than ${answerFileLinesMax} answers`);
  if (lines.length < 2) fail(lines.length, 'a header and a trailer are required');

  const header = (lines[0] as string).split('|');
  if (header.length !== 6 || header[0] !== 'H' || header[1] !== answerFileFormat) fail(1, `the header must be H|${answerFileFormat}|1|<file id>|<answered at>|<count>`);
  if (header[2] !== '1') fail(1, `format version ${header[2]} is not supported (1 is)`);
  const fileId = header[3] as string;
  if (!idPattern.test(fileId)) fail(1, 'the file id is malformed');
  const answeredAtMs = Date.parse(header[4] as string);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(header[4] as string) || Number.isNaN(answeredAtMs)) fail(1, 'the answer time must be ISO 8601 with a zone');
  const count = readCount(header[5] as string, () => fail(1, 'the count must be a whole number'));

  const answers: PayoutAnswer[] = [];
  const seen = new Set<string>();
  let totalMinor = 0;
  for (let index = 1; index < lines.length - 1; index += 1) {
    const lineNo = index + 1;
    const fields = (lines[index] as string).split('|');
    if (fields[0] !== 'D') fail(lineNo, 'a detail line starts with D');
    // The reason text is the last field and may itself hold `|`: everything after the 7th separator is text.
    if (fields.length < 8) fail(lineNo, 'a detail line has 8 fields: D|seq|payout id|S or F|amount|bank reference|reason code|reason text');
    const [, seq, payoutId, status, amount, bankReference, reasonCode] = fields as [string, string, string, string, string, string, string];
    const reasonText = fields.slice(7).join('|').trim();
    if (seq !== String(index)) fail(lineNo, `the sequence number must be ${index}`);
    if (!idPattern.test(payoutId)) fail(lineNo, 'the payout id is malformed');
    if (seen.has(payoutId)) fail(lineNo, `payout ${payoutId} is answered twice`);
    seen.add(payoutId);
    if (status !== 'S' && status !== 'F') fail(lineNo, 'the status must be S (paid) or F (failed)');
    const match = yuanPattern.exec(amount);
    if (match === null) fail(lineNo, 'the amount must be yuan with two decimals, like 1023.45');
    const amountMinor = Number(match?.[1]) * 100 + Number(match?.[2]);
    if (bankReference.length > fieldCharsMax || reasonCode.length > fieldCharsMax || [...reasonText].length > reasonTextCharsMax) fail(lineNo, 'a field is too long');
    if (/[\u0000-\u001f\u007f]/.test(reasonText)) fail(lineNo, 'the reason text holds control characters');
    if (status === 'F' && reasonCode.trim() === '') fail(lineNo, 'a failed transfer carries a reason code');
    totalMinor += amountMinor;
    answers.push({
      payoutId,
      status: status === 'S' ? 'paid' : 'failed',
      amountMinor,
      // Stored and shown: a digit run that looks like a card number is masked like one (docs/card-data.md).
      bankReference: bankReference.trim() === '' ? null : maskPansInText(bankReference.trim()),
      reasonCode: status === 'F' ? reasonCode.trim() : null,
      reasonText: status === 'F' && reasonText !== '' ? maskPansInText(reasonText) : null,
    });
  }
  const trailerNo = lines.length;
  const trailer = (lines[lines.length - 1] as string).split('|');
  if (trailer.length !== 3 || trailer[0] !== 'T') fail(trailerNo, 'the trailer must be T|<count>|<total yuan>');
  if (readCount(trailer[1] as string, () => fail(trailerNo, 'the count must be a whole number')) !== answers.length || count !== answers.length) {
    fail(trailerNo, `the header and trailer counts must both be ${answers.length}, the number of detail lines`);
  }
  const total = yuanPattern.exec(trailer[2] as string);
  if (total === null || Number(total[1]) * 100 + Number(total[2]) !== totalMinor) fail(trailerNo, 'the trailer total is not the sum of the detail amounts');
  return { fileId, answeredAtMs, answers };
}

function readCount(text: string, onBad: () => never): number {
  if (!/^\d{1,6}$/.test(text)) return onBad();
  return Number(text);
}
