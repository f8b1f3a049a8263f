// Goal: the shared option parsers accept exactly whole numbers in range and the two framings, and refuse everything else with RSW_BAD_ARGUMENT naming the flag. Method: table rows through integerOption and framingOption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { framingOption, integerOption } from '../../src/cli/option-parsers.ts';
import { ReswipeError } from '../../src/core/errors/reswipe-error.ts';

function refused(run: () => unknown, field: string, reason: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ReswipeError);
    assert.equal(error.code, 'RSW_BAD_ARGUMENT');
    assert.match(error.message, reason);
    assert.match(error.message, new RegExp(`^${field}:`));
    return true;
  });
}

test('integerOption takes whole decimal numbers from min to max', () => {
  const rows: Array<[string, number, number, number]> = [
    ['1', 1, 10, 1],
    ['10', 1, 10, 10],
    ['007', 0, 10, 7],
    ['65535', 1, 65_535, 65_535],
  ];
  for (const [text, min, max, expected] of rows) assert.equal(integerOption('port', text, min, max), expected, text);
});

test('integerOption refuses anything else, naming the flag and the range', () => {
  for (const text of ['0', '11', '-1', '1.5', '1e1', ' 1', '', 'x', '0x1', '99999999999999999999']) {
    refused(() => integerOption('duration', text, 1, 10), 'duration', /must be an integer from 1 to 10/);
  }
});

test('framingOption takes binary2 and ascii4 only', () => {
  assert.equal(framingOption('binary2'), 'binary2');
  assert.equal(framingOption('ascii4'), 'ascii4');
  for (const text of ['', 'BINARY2', 'ascii2', 'none']) refused(() => framingOption(text), 'framing', /must be binary2 or ascii4/);
});
