// Throwaway RSA key pairs for the Alipay tests, made at test time with the machine's `openssl` (no key
// is committed): the merchant's pair (signs requests) and the sandbox's pair (plays Alipay, signs
// answers), each written in the formats Alipay's key tool exports: PEM PKCS#8, PEM PKCS#1 and the bare
// base64 body ("no wrapper").
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RsaKeyFiles {
  /** PEM PKCS#8 private key (`BEGIN PRIVATE KEY`). */
  privatePkcs8File: string;
  /** PEM PKCS#1 private key (`BEGIN RSA PRIVATE KEY`). */
  privatePkcs1File: string;
  /** The base64 body of the PKCS#8 key, without header lines. */
  privateBareFile: string;
  /** PEM SPKI public key (`BEGIN PUBLIC KEY`). */
  publicFile: string;
  /** PEM PKCS#1 public key (`BEGIN RSA PUBLIC KEY`). */
  publicPkcs1File: string;
  /** The base64 body of the SPKI key. */
  publicBareFile: string;
}

export function openssl(args: readonly string[], input?: Buffer | string): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
}

function bare(pem: string): string {
  return pem
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('-----'))
    .join('');
}

/** A 2048-bit RSA pair in `dir`, files named after `name`. */
export function makeRsaKeyFiles(dir: string, name: string): RsaKeyFiles {
  const files: RsaKeyFiles = {
    privatePkcs8File: join(dir, `${name}-pkcs8.pem`),
    privatePkcs1File: join(dir, `${name}-pkcs1.pem`),
    privateBareFile: join(dir, `${name}-bare.txt`),
    publicFile: join(dir, `${name}-public.pem`),
    publicPkcs1File: join(dir, `${name}-public-pkcs1.pem`),
    publicBareFile: join(dir, `${name}-public-bare.txt`),
  };
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', files.privatePkcs8File]);
  openssl(['rsa', '-in', files.privatePkcs8File, '-traditional', '-out', files.privatePkcs1File]);
  openssl(['rsa', '-in', files.privatePkcs8File, '-pubout', '-out', files.publicFile]);
  openssl(['rsa', '-in', files.privatePkcs8File, '-RSAPublicKey_out', '-out', files.publicPkcs1File]);
  writeFileSync(files.privateBareFile, bare(readFileSync(files.privatePkcs8File, 'utf8')));
  writeFileSync(files.publicBareFile, bare(readFileSync(files.publicFile, 'utf8')));
  return files;
}
