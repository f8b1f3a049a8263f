// Throwaway certificates for TLS tests, made at test time with the machine's `openssl` (no private
// key is committed): a test CA, and server or client certificates it signs. EC P-256 keys, valid two
// days, server certificates for 127.0.0.1 and localhost.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

const keyOptions = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** A self-signed CA in `dir`, files named after `name`. */
export function makeTestCa(dir: string, name: string): CertificateFiles {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  openssl(['req', '-x509', ...keyOptions, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { certFile, keyFile };
}

/** A certificate signed by `ca`: for a server (127.0.0.1, localhost) or a client (its common name only). */
export function issueTestCertificate(ca: CertificateFiles, dir: string, name: string, use: 'server' | 'client'): CertificateFiles {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const requestFile = join(dir, `${name}.csr`);
  const extensionsFile = join(dir, `${name}.ext`);
  writeFileSync(
    extensionsFile,
    use === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n',
  );
  openssl(['req', ...keyOptions, '-keyout', keyFile, '-out', requestFile, '-subj', `/CN=${name}`]);
  openssl(['x509', '-req', '-in', requestFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-extfile', extensionsFile, '-out', certFile]);
  return { certFile, keyFile };
}

/** The PEM text of a file, for `ca` options of clients. */
export function pem(file: string): string {
  return readFileSync(file, 'utf8');
}
