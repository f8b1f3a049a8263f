// Reads a channel's format file, `<formatsDir>/<channel>.json`, or gives the default CSV layout when
// there is none (docs/reconciliation.md, "Formats"). The file is validated before anything is imported.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { defaultChannelFormat, validateChannelFormat, type ChannelFormat } from '../../core/reconciliation/channel-format.ts';

const formatFileBytesMax = 64 * 1024;

/** A channel name as used in file names: letters, digits, dot, dash, underscore. */
export function assertChannelName(channel: string, field = 'channel'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(channel)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: 'a channel name is 1-64 letters, digits, dot, dash or underscore' });
  return channel;
}

export function loadChannelFormat(formatsDir: string | undefined, channel: string, explicitFile?: string): ChannelFormat {
  const path = explicitFile ?? (formatsDir === undefined ? undefined : join(formatsDir, `${assertChannelName(channel)}.json`));
  if (path === undefined || (explicitFile === undefined && !existsSync(path))) return defaultChannelFormat;
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > formatFileBytesMax) throw new Error(`larger than ${formatFileBytesMax} bytes`);
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout: path, reason: error instanceof Error ? error.message : String(error), field: 'file' });
  }
  return validateChannelFormat(parsed);
}
