// Goal: the transfer file is written exactly as docs/payouts.md shows, and the answer file reader accepts the documented format and refuses every malformed file whole, naming the line. Method: write a file from fixed lines and compare it to the documented text; parse a good answer; then a table of broken answers, each expected to fail with RSW_PAYOUT_FILE_INVALID and its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTransferFile } from '../../../src/adapters/payouts/bank-transfer-file.ts';
import { parseAnswerFile } from '../../../src/adapters/payouts/bank-answer-file.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

test('the transfer file: header, one line per transfer in yuan, trailer; CRLF', () => {
  const text = writeTransferFile('pf_20260619T013000Z_a1b2c3', Date.parse('2026-06-19T01:30:00Z'), [
    { payoutId: 'po_stl_M1_2026-06-18_1', bankCode: '102100099996', accountNumber: '6222020200112233445', accountName: '上海测试商贸有限公司', amountMinor: 1_020_643, merchantId: 'M1', businessDate: '2026-06-18' },
    { payoutId: 'po_stl_M2_2026-06-18_1', bankCode: '308584000013', accountNumber: '755912345610901', accountName: '深圳示例餐饮店', amountMinor: 5, merchantId: 'M2', businessDate: '2026-06-18' },
  ]);
  assert.equal(
    text,
    [
      'H|RSWPAY|1|pf_20260619T013000Z_a1b2c3|2026-06-19T01:30:00.000Z|2|10206.48|CNY',
      'D|1|po_stl_M1_2026-06-18_1|102100099996|6222020200112233445|上海测试商贸有限公司|10206.43|CNY|结算款 M1 2026-06-18',
      'D|2|po_stl_M2_2026-06-18_1|308584000013|755912345610901|深圳示例餐饮店|0.05|CNY|结算款 M2 2026-06-18',
      'T|2|10206.48',
      '',
    ].join('\r\n'),
  );
  assert.throws(() => writeTransferFile('pf_x', 0, []), /1 to/);
  assert.throws(() => writeTransferFile('pf_x', 0, [{ payoutId: 'p', bankCode: '1', accountNumber: '1', accountName: 'A|B', amountMinor: 1, merchantId: 'M', businessDate: 'd' }]), /\|/);
});

const goodAnswer = [
  'H|RSWANS|1|pf_20260619T013000Z_a1b2c3|2026-06-19T09:12:00+08:00|2',
  'D|1|po_stl_M1_2026-06-18_1|S|10206.43|BR0619-000123||',
  'D|2|po_stl_M2_2026-06-18_1|F|0.05||ACCOUNT_NAME_MISMATCH|账户名不符',
  'T|2|10206.48',
].join('\r\n');

test('a good answer file: a paid line and a failed line with reason code and text; LF and a BOM are fine too', () => {
  for (const text of [goodAnswer, `${goodAnswer}\r\n`, `\uFEFF${goodAnswer.replace(/\r\n/g, '\n')}\n`]) {
    const file = parseAnswerFile(text);
    assert.equal(file.fileId, 'pf_20260619T013000Z_a1b2c3');
    assert.equal(file.answeredAtMs, Date.parse('2026-06-19T01:12:00Z'));
    assert.deepEqual(file.answers, [
      { payoutId: 'po_stl_M1_2026-06-18_1', status: 'paid', amountMinor: 1_020_643, bankReference: 'BR0619-000123', reasonCode: null, reasonText: null },
      { payoutId: 'po_stl_M2_2026-06-18_1', status: 'failed', amountMinor: 5, bankReference: null, reasonCode: 'ACCOUNT_NAME_MISMATCH', reasonText: '账户名不符' },
    ]);
  }
  // A bank reference that looks like a card number is stored masked, never in clear.
  const cardLike = parseAnswerFile(goodAnswer.replace('BR0619-000123', '6222020000000000018'));
  assert.ok(!(cardLike.answers[0]?.bankReference ?? '').includes('6222020000000000018'));
  assert.match(cardLike.answers[0]?.bankReference ?? '', /^622202\*+0018$/);
  // The reason text is the last field and may hold the separator.
  const piped = goodAnswer.replace('|账户名不符', '|户名|不符');
  assert.equal(parseAnswerFile(piped).answers[1]?.reasonText, '户名|不符');
});

test('a malformed answer file is refused whole, naming the line', () => {
  const lines = goodAnswer.split('\r\n');
  const replace = (index: number, line: string) => lines.map((l, i) => (i === index ? line : l)).join('\r\n');
  const rows: Array<[string, string, number]> = [
    ['wrong format name', replace(0, 'H|RSWPAY|1|pf_1|2026-06-19T09:12:00+08:00|2'), 1],
    ['unsupported version', replace(0, 'H|RSWANS|2|pf_1|2026-06-19T09:12:00+08:00|2'), 1],
    ['time without a zone', replace(0, 'H|RSWANS|1|pf_1|2026-06-19T09:12:00|2'), 1],
    ['header count wrong', replace(0, 'H|RSWANS|1|pf_1|2026-06-19T09:12:00+08:00|3'), 4],
    ['sequence out of order', replace(1, 'D|2|po_stl_M1_2026-06-18_1|S|10206.43|B1||'), 2],
    ['status neither S nor F', replace(1, 'D|1|po_stl_M1_2026-06-18_1|X|10206.43|B1||'), 2],
    ['amount with one decimal', replace(1, 'D|1|po_stl_M1_2026-06-18_1|S|10206.4|B1||'), 2],
    ['negative amount', replace(1, 'D|1|po_stl_M1_2026-06-18_1|S|-10206.43|B1||'), 2],
    ['failure without a reason code', replace(2, 'D|2|po_stl_M2_2026-06-18_1|F|0.05|||账户名不符'), 3],
    ['too few fields', replace(1, 'D|1|po_stl_M1_2026-06-18_1|S|10206.43'), 2],
    ['the same payout twice', replace(2, 'D|2|po_stl_M1_2026-06-18_1|S|0.05|B2||'), 3],
    ['trailer total wrong', replace(3, 'T|2|10206.49'), 4],
    ['no trailer', lines.slice(0, 3).join('\r\n'), 3],
    ['a control character in the text', replace(2, 'D|2|po_stl_M2_2026-06-18_1|F|0.05||X|bad\u0007text'), 3],
  ];
  for (const [name, text, line] of rows) {
    assert.throws(
      () => parseAnswerFile(text, 'bank.txt'),
      (error: unknown) => isReswipeError(error, 'RSW_PAYOUT_FILE_INVALID') && error.params.line === line && error.params.source === 'bank.txt',
      name,
    );
  }
  assert.throws(() => parseAnswerFile('x'.repeat(4 * 1024 * 1024 + 1)), (error: unknown) => isReswipeError(error, 'RSW_PAYOUT_FILE_INVALID') && error.params.line === 0);
});
