// Goal: format 0 PIN blocks are built and checked exactly as ISO 9564-1 / ANSI X9.8 and the CUPS SM4
// PIN pads do. Method: published worked examples (clear blocks) as table rows, then every PIN length
// through reform, and the blocks reform must refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountNumber12Of, formatPinBlock, reformPinBlock } from '../../../src/core/crypto/pin-block.ts';

const published: Array<[source: string, pin: string, pan: string, blockBytes: 8 | 16, clearBlock: string]> = [
  // The ISO 9564 format 0 example used by EFTlab and most HSM manuals: PAN 43219876543210987, PIN 1234.
  ['ISO 9564 format 0 worked example', '1234', '43219876543210987', 8, '0412AC89ABCDEF67'],
  // The ANSI X9.8 examples of the Chinese POS literature (PIN 123456, two account numbers).
  ['ANSI X9.8, 18-digit PAN', '123456', '123456789012345678', 8, '061253DFFEDCBA98'],
  ['ANSI X9.8, 16-digit PAN', '123456', '1234567890123456', 8, '0612713176FEDCBA'],
  // The SM4 PIN pad example (ANSI X9.8 widened to 16 bytes): PIN 123654, PAN 6230606601007726888.
  ['SM4 16-byte format 0', '123654', '6230606601007726888', 16, '06123654FFFFFFFFFFFF99FEFF88D977'],
];

for (const [source, pin, pan, blockBytes, clearBlock] of published) {
  test(`${source}: ${clearBlock}`, () => {
    const block = formatPinBlock(pin, accountNumber12Of(pan), blockBytes);
    assert.equal(block.toString('hex').toUpperCase(), clearBlock);
    const reformed = reformPinBlock(block, accountNumber12Of(pan), blockBytes);
    assert.equal(reformed.kind, 'formed');
    if (reformed.kind === 'formed') assert.equal(reformed.block.toString('hex').toUpperCase(), clearBlock);
  });
}

test('the account number is the 12 digits before the check digit, zero-filled for short PANs', () => {
  assert.equal(accountNumber12Of('43219876543210987'), '987654321098');
  assert.equal(accountNumber12Of('6222020000000000018'), '000000000001');
  assert.equal(accountNumber12Of('6230606601007726888'), '660100772688');
  assert.equal(accountNumber12Of('12345678'), '000001234567');
  assert.throws(() => accountNumber12Of('4111-1111'), RangeError);
});

test('every PIN length 4-12 reforms between the 8-byte and 16-byte layouts', () => {
  const account = accountNumber12Of('6222020000000000018');
  for (let length = 4; length <= 12; length += 1) {
    const pin = '908172635412'.slice(0, length);
    const eight = formatPinBlock(pin, account, 8);
    const sixteen = formatPinBlock(pin, account, 16);
    const up = reformPinBlock(eight, account, 16);
    const down = reformPinBlock(sixteen, account, 8);
    assert.deepEqual(up, { kind: 'formed', block: sixteen });
    assert.deepEqual(down, { kind: 'formed', block: eight });
  }
  assert.throws(() => formatPinBlock('123', account, 8), RangeError);
  assert.throws(() => formatPinBlock('1234567890123', account, 8), RangeError);
});

test('blocks that are not format 0 for the account are refused with the check that failed', () => {
  const account = accountNumber12Of('43219876543210987');
  const rows: Array<[name: string, clear: string, problem: string]> = [
    ['format 1 (control nibble 1)', '1412AC89ABCDEF67', 'not_format_0'],
    ['PIN length 3', '0312AC89ABCDEF67', 'bad_pin_length'],
    ['PIN length 13', '0D12AC89ABCDEF67', 'bad_pin_length'],
    ['a letter among the PIN digits', '0412A589ABCDEF67', 'bad_pin_digit'],
    ['fill that is not F', '0412AC89ABCDEF66', 'bad_fill'],
    ['the right block for another account', formatPinBlock('1234', accountNumber12Of('6222020000000000018'), 8).toString('hex'), 'bad_pin_digit'],
  ];
  for (const [name, clear, problem] of rows) {
    assert.deepEqual(reformPinBlock(Buffer.from(clear, 'hex'), account, 8), { kind: 'invalid', problem }, name);
  }
  assert.deepEqual(reformPinBlock(Buffer.alloc(12), account, 8), { kind: 'invalid', problem: 'not_format_0' });
});
