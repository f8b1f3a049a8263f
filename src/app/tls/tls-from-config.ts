// Reads every TLS file the configuration names, once, before serve opens a port or the database:
// a missing or mismatched file stops start-up naming its key (RSW_TLS_*), never at the first handshake.
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { readClientTlsOptions, readServerTlsOptions } from '../../adapters/tls/read-tls-material.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';

export interface TlsFromConfig {
  /** Server options of the HTTP API, when http.tls is set. */
  readonly http: TlsOptions | undefined;
  /** Server options by listener name, for listeners with tls. */
  readonly listeners: ReadonlyMap<string, TlsOptions>;
  /** Client options by channel name, for channels with tls. */
  readonly channels: ReadonlyMap<string, ConnectionOptions>;
}

export function readTlsFromConfig(config: ReswipeConfig, options: { withHttp: boolean }): TlsFromConfig {
  const listeners = new Map<string, TlsOptions>();
  config.listeners.forEach((listener, index) => {
    if (listener.tls !== undefined) listeners.set(listener.name, readServerTlsOptions(listener.tls, `listeners[${index}].tls`));
  });
  const channels = new Map<string, ConnectionOptions>();
  config.channels.forEach((channel, index) => {
    if (channel.tls !== undefined && !channel.disabled) channels.set(channel.name, readClientTlsOptions(channel.tls, `channels[${index}].tls`));
  });
  const http = options.withHttp && config.http.tls !== undefined ? readServerTlsOptions(config.http.tls, 'http.tls') : undefined;
  return { http, listeners, channels };
}

/**
 * What SIGHUP does for upstream channels: reads each channel's TLS files again and gives the new
 * material to the channel for the connections it opens from then on (a renewed client certificate
 * needs no restart). A channel whose files cannot be used keeps what it has; false says so.
 */
export function reloadChannelTls(config: ReswipeConfig, channels: ReadonlyMap<string, { setTls(options: ConnectionOptions): void }>, logger: LoggerLike): boolean {
  let allReloaded = true;
  config.channels.forEach((channelConfig, index) => {
    const channel = channels.get(channelConfig.name);
    if (channelConfig.tls === undefined || channel === undefined) return;
    const field = `channels[${index}].tls`;
    try {
      channel.setTls(readClientTlsOptions(channelConfig.tls, field));
      logger.info({ field, channel: channelConfig.name }, 'channel TLS material reloaded for new connections');
    } catch (error) {
      allReloaded = false;
      logger.error({ field, code: isReswipeError(error) ? error.code : 'unknown', error: error instanceof Error ? error.message : 'unknown' }, 'channel TLS reload failed; the channel keeps what it has');
    }
  });
  return allReloaded;
}
