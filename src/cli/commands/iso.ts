// `reswipe iso decode|encode`: turn hex into a (masked) JSON message and JSON back into hex, with
// any built-in dialect or a dialect file. Bad input ends with the error code and field path.
import type { Command } from 'commander';
import { loadDialect } from '../../adapters/iso8583/load-dialect-file.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import {
  describeMessage,
  encodeFrame,
  FrameDecoder,
  messageFromJson,
  packMessage,
  stringifyDescription,
  unpackMessage,
  type FramingKind,
} from '../../core/iso8583/index.ts';

const framingKinds: readonly FramingKind[] = ['binary2', 'ascii4'];
const hexInputCharsMax = 2 * 70000;

function framingOf(value: string): FramingKind {
  const found = framingKinds.find((kind) => kind === value);
  if (found === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--framing', reason: `must be one of ${framingKinds.join(', ')}` });
  return found;
}

function bytesOfHexArgument(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length > hexInputCharsMax) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '<hex>', reason: `longer than ${hexInputCharsMax} hex digits` });
  if (compact.length === 0 || compact.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(compact)) throw new ReswipeError('RSW_CODEC_BAD_HEX', { field: '<hex>' });
  return Buffer.from(compact, 'hex');
}

/** The single payload inside framed input; anything but exactly one whole frame is an error. */
function unframe(framing: FramingKind, bytes: Buffer): Buffer {
  const decoder = new FrameDecoder({ framing, frameBytesMax: framing === 'binary2' ? 0xffff : 9999 });
  const frames = decoder.push(bytes);
  if (!decoder.isIdle) throw new ReswipeError('RSW_FRAME_TRUNCATED', { reason: `the input ends ${decoder.bufferedBytes} bytes into a frame` });
  if (frames.length !== 1) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '<hex>', reason: `holds ${frames.length} frames; give exactly one` });
  return frames[0] as Buffer;
}

interface IsoOptions {
  dialect: string;
  reveal?: boolean;
  framed?: boolean;
  framing: string;
}

export function register(program: Command): void {
  const iso = program.command('iso').description('ISO 8583 tools: decode hex to JSON, encode JSON to hex');
  iso
    .command('decode')
    .description('print a message as JSON (binary fields as hex, card data masked unless --reveal)')
    .argument('<hex>', 'the message in hex, without its frame length prefix unless --framed')
    .requiredOption('--dialect <dialect>', 'iso87-ascii, cups-pos or a path to a JSON dialect file')
    .option('--reveal', 'print PAN, track 2, PIN block and cryptograms in clear (never in logs)')
    .option('--framed', 'the hex starts with the frame length prefix')
    .option('--framing <kind>', 'frame length prefix with --framed: binary2 or ascii4', 'binary2')
    .action((hex: string, options: IsoOptions) => {
      const dialect = loadDialect(options.dialect);
      let bytes = bytesOfHexArgument(hex);
      if (options.framed === true) bytes = unframe(framingOf(options.framing), bytes);
      const message = unpackMessage(dialect, bytes);
      process.stdout.write(`${stringifyDescription(describeMessage(message, { reveal: options.reveal === true }))}\n`);
    });
  iso
    .command('encode')
    .description('print the hex of a message given as JSON ({"mti":"0200","3":"000000",...}; binary fields as hex)')
    .argument('<json>', 'the message as JSON, the shape `iso decode --reveal` prints')
    .requiredOption('--dialect <dialect>', 'iso87-ascii, cups-pos or a path to a JSON dialect file')
    .option('--framed', 'prefix the frame length')
    .option('--framing <kind>', 'frame length prefix with --framed: binary2 or ascii4', 'binary2')
    .action((text: string, options: IsoOptions) => {
      const dialect = loadDialect(options.dialect);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '<json>', reason: 'not valid JSON' });
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '<json>', reason: 'must be a JSON object' });
      let bytes = packMessage(dialect, messageFromJson(dialect, json as Record<string, unknown>));
      if (options.framed === true) bytes = encodeFrame(framingOf(options.framing), bytes);
      process.stdout.write(`${bytes.toString('hex').toUpperCase()}\n`);
    });
}
