// Reads the PEM files the configuration names into the options Node's tls module takes, and proves
// they work together (the key belongs to the certificate, the CA parses) by building a secure context
// once, so a bad file stops start-up with the setting's name rather than failing at the first handshake.
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions, type SecureContextOptions, type TlsOptions } from 'node:tls';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

/** Oldest protocol reswipe speaks on any hop: TLS 1.0 and 1.1 are broken and PCI DSS forbids them. */
export const tlsMinVersion = 'TLSv1.2';

/** A TLS handshake must finish within this, so half-open handshakes cannot hold connection slots. */
export const tlsHandshakeTimeoutMs = 10_000;

export interface ServerTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** When given, clients must present a certificate signed by one of these CAs (mutual TLS). */
  readonly clientCaFile?: string | undefined;
}

export interface ClientTlsFiles {
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly serverName?: string | undefined;
}

/** Server options for `tls.createServer` / `setSecureContext`; `field` is the config key the files came from, for errors. */
export function readServerTlsOptions(files: ServerTlsFiles, field: string): TlsOptions {
  const context: SecureContextOptions = {
    cert: readPem(files.certFile, `${field}.certFile`),
    key: readPem(files.keyFile, `${field}.keyFile`),
    minVersion: tlsMinVersion,
    ...(files.clientCaFile === undefined ? {} : { ca: readPem(files.clientCaFile, `${field}.clientCaFile`) }),
  };
  proveUsable(context, field);
  const mutual = files.clientCaFile !== undefined;
  return { ...context, requestCert: mutual, rejectUnauthorized: mutual, handshakeTimeout: tlsHandshakeTimeoutMs };
}

/** Client options for `tls.connect` (without host and port). The server's certificate is always verified. */
export function readClientTlsOptions(files: ClientTlsFiles, field: string): ConnectionOptions {
  const context: SecureContextOptions = {
    minVersion: tlsMinVersion,
    ...(files.caFile === undefined ? {} : { ca: readPem(files.caFile, `${field}.caFile`) }),
    ...(files.certFile === undefined ? {} : { cert: readPem(files.certFile, `${field}.certFile`) }),
    ...(files.keyFile === undefined ? {} : { key: readPem(files.keyFile, `${field}.keyFile`) }),
  };
  proveUsable(context, field);
  return { ...context, rejectUnauthorized: true, ...(files.serverName === undefined ? {} : { servername: files.serverName }) };
}

function readPem(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ReswipeError('RSW_TLS_FILE_UNREADABLE', { field, file, reason }, { cause: error });
  }
}

function proveUsable(context: SecureContextOptions, field: string): void {
  try {
    createSecureContext(context);
  } catch (error) {
    // OpenSSL's reason ("key values mismatch", "no start line") names the problem and never holds key bytes.
    const reason = error instanceof Error ? error.message : 'unusable';
    throw new ReswipeError('RSW_TLS_MATERIAL_INVALID', { field, reason }, { cause: error });
  }
}
