// Puts a renewed certificate into service without a restart: on request (SIGHUP, see `serve`) and,
// when checkIntervalMs > 0, whenever the certificate or key file changes. New connections get the
// new certificate; open ones keep theirs. A reload that fails (a half-written file, a key that does
// not match yet) keeps the certificate in service and is logged, so a renewal can never take the
// port down; the next change of either file tries again.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import { readServerTlsOptions, type ServerTlsFiles } from './read-tls-material.ts';

/** What can take a new certificate: a `tls.Server`, an `https.Server`, or a wrapper around one. */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface TlsCertificateReloaderOptions {
  /** The configuration key of the files (`http.tls`, `listeners[0].tls`), for logs. */
  field: string;
  files: ServerTlsFiles;
  target: SecureContextTarget;
  logger: LoggerLike;
  /** How often the files' modification times are checked; 0 turns the watch off. */
  checkIntervalMs: number;
}

export type TlsReloadReason = 'signal' | 'file_change';

export class TlsCertificateReloader {
  readonly #options: TlsCertificateReloaderOptions;
  #watching = false;
  readonly #onChange = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) this.reload('file_change');
  };

  constructor(options: TlsCertificateReloaderOptions) {
    this.#options = options;
  }

  /** Reads the files again and puts them into service; false (logged) when they cannot be used, the old certificate staying. */
  reload(reason: TlsReloadReason): boolean {
    const { field, files, target, logger } = this.#options;
    try {
      const options = readServerTlsOptions(files, field);
      target.setSecureContext(options);
      const certificate = new X509Certificate(options.cert as Buffer);
      logger.info({ field, reason, fingerprint256: certificate.fingerprint256, validTo: certificate.validTo }, 'tls certificate reloaded');
      return true;
    } catch (error) {
      logger.error({ field, reason, code: isReswipeError(error) ? error.code : 'unknown', error: error instanceof Error ? error.message : 'unknown' }, 'tls certificate reload failed; the certificate in service stays');
      return false;
    }
  }

  /** Starts polling the certificate and key files (nothing when checkIntervalMs is 0). */
  start(): void {
    const { files, checkIntervalMs } = this.#options;
    if (checkIntervalMs === 0 || this.#watching) return;
    this.#watching = true;
    // Polling (stat) rather than fs.watch: it follows files replaced by rename, as certificate tools do, on every platform.
    for (const file of [files.certFile, files.keyFile]) watchFile(file, { interval: checkIntervalMs, persistent: false }, this.#onChange);
  }

  stop(): void {
    if (!this.#watching) return;
    this.#watching = false;
    for (const file of [this.#options.files.certFile, this.#options.files.keyFile]) unwatchFile(file, this.#onChange);
  }
}
