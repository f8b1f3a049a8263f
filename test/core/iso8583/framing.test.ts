// Goal: the frame decoder returns exactly the payloads sent, whatever the chunking, and refuses
// garbage and oversize frames without buffering beyond one frame. Method: tables, plus a property
// over random payloads split at random points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder, type FramingKind } from '../../../src/core/iso8583/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

test('encodeFrame writes the length prefix', () => {
  assert.equal(encodeFrame('binary2', Buffer.from('abc')).toString('hex'), '0003616263');
  assert.equal(encodeFrame('ascii4', Buffer.from('abc')).toString('latin1'), '0003abc');
  assert.throws(() => encodeFrame('ascii4', Buffer.alloc(10000)), (error: unknown) => isReswipeError(error, 'RSW_FRAME_TOO_LARGE'));
  assert.throws(() => encodeFrame('binary2', Buffer.alloc(0)), (error: unknown) => isReswipeError(error, 'RSW_FRAME_BAD_LENGTH'));
});

test('partial reads and many frames per chunk', () => {
  const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax: 100 });
  const stream = Buffer.concat([encodeFrame('binary2', Buffer.from('one')), encodeFrame('binary2', Buffer.from('two')), encodeFrame('binary2', Buffer.from('three'))]);
  assert.deepEqual(decoder.push(stream.subarray(0, 1)), []);
  assert.equal(decoder.bufferedBytes, 1);
  assert.deepEqual(decoder.push(stream.subarray(1, 4)).map(String), []);
  assert.deepEqual(decoder.push(stream.subarray(4, 12)).map(String), ['one', 'two']);
  assert.deepEqual(decoder.push(stream.subarray(12)).map(String), ['three']);
  assert.equal(decoder.bufferedBytes, 0);
  assert.ok(decoder.isIdle);
});

test('garbage and oversize frames are protocol errors, and the decoder stays failed', () => {
  const ascii = new FrameDecoder({ framing: 'ascii4', frameBytesMax: 4096 });
  assert.throws(() => ascii.push(Buffer.from('GET / HTTP/1.1\r\n')), (error: unknown) => isReswipeError(error, 'RSW_FRAME_BAD_LENGTH'));
  assert.throws(() => ascii.push(Buffer.from('0003abc')), (error: unknown) => isReswipeError(error, 'RSW_FRAME_BAD_LENGTH'));
  const binary = new FrameDecoder({ framing: 'binary2', frameBytesMax: 4096 });
  assert.throws(() => binary.push(Buffer.from([0x10, 0x01, 0x00])), (error: unknown) => isReswipeError(error, 'RSW_FRAME_TOO_LARGE'));
  assert.equal(binary.bufferedBytes, 0);
  const zero = new FrameDecoder({ framing: 'binary2', frameBytesMax: 4096 });
  assert.throws(() => zero.push(Buffer.from([0, 0])), (error: unknown) => isReswipeError(error, 'RSW_FRAME_BAD_LENGTH'));
  assert.throws(() => new FrameDecoder({ framing: 'ascii4', frameBytesMax: 10000 }), (error: unknown) => isReswipeError(error, 'RSW_BAD_ARGUMENT'));
});

test('property: any chunking of any frame sequence yields the payloads in order, buffering at most one frame', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<FramingKind>('binary2', 'ascii4'),
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }),
      (framing, payloads, cuts) => {
        const decoder = new FrameDecoder({ framing, frameBytesMax: 300 });
        const stream = Buffer.concat(payloads.map((payload) => encodeFrame(framing, payload)));
        const got: Buffer[] = [];
        let pos = 0;
        let cut = 0;
        while (pos < stream.length) {
          const size = cuts[cut % cuts.length] as number;
          cut += 1;
          got.push(...decoder.push(stream.subarray(pos, pos + size)));
          assert.ok(decoder.bufferedBytes <= 300);
          pos += size;
        }
        assert.deepEqual(got.map((frame) => frame.toString('hex')), payloads.map((payload) => Buffer.from(payload).toString('hex')));
        assert.ok(decoder.isIdle);
      },
    ),
    { numRuns: 300 },
  );
});

test('a frame owns its bytes: reusing the chunk it came in (as a stream may) leaves it unchanged', () => {
  for (const split of [false, true]) {
    const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax: 4096 });
    const chunk = Buffer.concat([encodeFrame('binary2', Buffer.from('first')), encodeFrame('binary2', Buffer.from('second'))]);
    const frames = split ? [...decoder.push(chunk.subarray(0, 4)), ...decoder.push(chunk.subarray(4))] : decoder.push(chunk);
    chunk.fill(0x78);
    assert.deepEqual(frames.map((frame) => frame.toString('latin1')), ['first', 'second'], split ? 'split' : 'whole');
  }
});
