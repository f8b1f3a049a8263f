// Goal: no input, however mangled, makes the codec or the frame decoder fail with anything but a
// typed codec error naming a field; what does unpack re-packs to the same message. Method: a
// bounded, seeded fuzz run of 120,000 mutations of the corpus bytes (the seed is printed on failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { describeMessage, encodeFrame, FrameDecoder, getDialect, packMessage, unpackMessage, type Dialect } from '../../../src/core/iso8583/index.ts';
import { loadCorpus } from './corpus-messages.ts';

const inputsTotal = 120_000;
const seed = Number(process.env.RESWIPE_FUZZ_SEED ?? 20261125);

/** mulberry32: small, fast, seeded; the run is replayable with RESWIPE_FUZZ_SEED. */
function randomFrom(seedValue: number): () => number {
  let state = seedValue >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const interesting = [0x00, 0xff, 0x30, 0x39, 0x80, 0x7f, 0x3d, 0x44, 0x99, 0x9f, 0x81, 0x82, 0x20];

function mutate(input: Buffer, random: () => number): Buffer {
  const below = (n: number) => Math.floor(random() * n);
  let bytes = Buffer.from(input);
  const rounds = 1 + below(4);
  for (let round = 0; round < rounds; round += 1) {
    const at = below(Math.max(bytes.length, 1));
    switch (below(8)) {
      case 0:
        if (bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << below(8));
        break;
      case 1:
        if (bytes.length > 0) bytes[at] = interesting[below(interesting.length)] as number;
        break;
      case 2:
        if (bytes.length > 0) bytes[at] = below(256);
        break;
      case 3:
        bytes = bytes.subarray(0, at);
        break;
      case 4:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + below(8)))]);
        break;
      case 5:
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 1 + below(8) }, () => below(256))), bytes.subarray(at)]);
        break;
      case 6: {
        const from = below(Math.max(bytes.length, 1));
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(from, from + 1 + below(16)), bytes.subarray(at)]);
        break;
      }
      case 7:
        bytes = Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + below(4) }, () => below(256)))]);
        break;
    }
  }
  return bytes;
}

function checkUnpack(dialect: Dialect, bytes: Buffer): 'ok' | 'error' {
  let message;
  try {
    message = unpackMessage(dialect, bytes);
  } catch (error) {
    if (!isReswipeError(error) || !error.code.startsWith('RSW_CODEC_') || error.field === undefined) throw error;
    return 'error';
  }
  // What unpacks must pack again and read back the same: the codec has no lossy paths.
  const again = unpackMessage(dialect, packMessage(dialect, message));
  assert.deepStrictEqual(again, message);
  describeMessage(message);
  return 'ok';
}

test(`fuzz: ${inputsTotal} mutated corpus messages give only typed codec errors (seed ${seed})`, () => {
  const corpus = loadCorpus().map((entry) => ({ dialect: getDialect(entry.dialect), bytes: Buffer.from(entry.hex, 'hex') }));
  const random = randomFrom(seed);
  const outcomes = { ok: 0, error: 0 };
  for (let index = 0; index < inputsTotal; index += 1) {
    const entry = corpus[index % corpus.length] as (typeof corpus)[number];
    const input = mutate(entry.bytes, random);
    try {
      outcomes[checkUnpack(entry.dialect, input)] += 1;
    } catch (error) {
      assert.fail(`input ${index} (seed ${seed}, replay: RESWIPE_FUZZ_SEED=${seed} npm test -- iso8583/fuzz): ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  // Both paths must have been exercised, or the mutator is too weak or too strong to mean anything.
  assert.ok(outcomes.ok > 1000, `only ${outcomes.ok} mutants parsed`);
  assert.ok(outcomes.error > inputsTotal / 2, `only ${outcomes.error} mutants were rejected`);
});

test('fuzz: mutated framed streams give frames or typed frame errors, never unbounded buffering', () => {
  const corpus = loadCorpus().map((entry) => Buffer.from(entry.hex, 'hex'));
  const random = randomFrom(seed + 1);
  for (let index = 0; index < 5000; index += 1) {
    const framing = index % 2 === 0 ? 'binary2' : 'ascii4';
    const stream = mutate(Buffer.concat(corpus.slice(0, 3).map((bytes) => encodeFrame(framing, bytes))), random);
    const decoder = new FrameDecoder({ framing, frameBytesMax: 1024 });
    try {
      for (let pos = 0; pos < stream.length; pos += 7) {
        decoder.push(stream.subarray(pos, pos + 7));
        assert.ok(decoder.bufferedBytes <= 1024 + 4);
      }
    } catch (error) {
      if (!isReswipeError(error) || !error.code.startsWith('RSW_FRAME_')) throw error;
    }
  }
});
