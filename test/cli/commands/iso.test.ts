// Goal: `reswipe iso encode|decode` round-trips messages, masks by default, and reports bad input as
// one line with the error code and field path, exit 2, no stack trace. Method: run the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runReswipe, type ReswipeRun } from '../../support/reswipe-process.ts';

function reswipe(...args: string[]): ReswipeRun {
  return runReswipe(args);
}

const sale = '{"mti":"0200","2":"6222020000000000018","3":"000000","4":"000000012345","11":"000123","41":"TERM0001","52":"3A5F9C0E71B2D448"}';

test('encode then decode, masked and revealed, plain and framed', () => {
  const encoded = reswipe('iso', 'encode', '--dialect', 'iso87-ascii', sale);
  assert.equal(encoded.status, 0, encoded.stderr);
  const hex = encoded.stdout.trim();
  assert.match(hex, /^30323030/);
  const masked = reswipe('iso', 'decode', '--dialect', 'iso87-ascii', hex);
  assert.equal(masked.status, 0, masked.stderr);
  assert.equal(masked.stdout.trim(), '{"mti":"0200","2":"622202*********0018","3":"000000","4":"000000012345","11":"000123","41":"TERM0001","52":"****"}');
  const revealed = reswipe('iso', 'decode', '--dialect', 'iso87-ascii', '--reveal', hex);
  assert.deepEqual(JSON.parse(revealed.stdout), JSON.parse(sale));
  const framed = reswipe('iso', 'encode', '--dialect', 'iso87-ascii', '--framed', '--framing', 'ascii4', sale);
  assert.equal(framed.stdout.trim().slice(8), hex);
  const unframed = reswipe('iso', 'decode', '--dialect', 'iso87-ascii', '--framed', '--framing', 'ascii4', '--reveal', framed.stdout.trim());
  assert.deepEqual(JSON.parse(unframed.stdout), JSON.parse(sale));
});

test('bad input exits 2 with the code and field path, no stack trace', () => {
  const rows: Array<[string[], RegExp]> = [
    [['iso', 'encode', '--dialect', 'iso87-ascii', '{"mti":"0200","4":"12A"}'], /^error RSW_CODEC_BAD_VALUE: .*\(field 4\)$/],
    [['iso', 'encode', '--dialect', 'iso87-ascii', '{"mti":"0200","99":"1"}'], /^error RSW_CODEC_FIELD_NOT_IN_DIALECT: .*\(field 99\)$/],
    [['iso', 'encode', '--dialect', 'cups-pos', '{"mti":"0200","55":{"9F02":"XYZ"}}'], /^error RSW_CODEC_BAD_TLV: .*\(field 55\.9F02\)$/],
    [['iso', 'encode', '--dialect', 'iso87-ascii', 'not json'], /^error RSW_BAD_ARGUMENT: /],
    [['iso', 'decode', '--dialect', 'iso87-ascii', '3032303070'], /^error RSW_CODEC_TRUNCATED: .*\(field bitmap\)$/],
    [['iso', 'decode', '--dialect', 'iso87-ascii', 'zz'], /^error RSW_CODEC_BAD_HEX: /],
    [['iso', 'decode', '--dialect', 'nowhere.json', '00'], /^error RSW_CODEC_UNKNOWN_DIALECT: /],
    [['iso', 'decode', '--dialect', 'iso87-ascii', '--framed', '0010303230'], /^error RSW_FRAME_TRUNCATED: /],
  ];
  for (const [args, pattern] of rows) {
    const result = reswipe(...args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr.trim(), pattern, args.join(' '));
    assert.ok(!result.stderr.includes('    at '), 'stack trace printed');
  }
});
