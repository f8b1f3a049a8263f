// The keys of Alipay in the QR sandbox for `reswipe qr-sim`: either the operator names the sandbox's
// private key and the merchant's public key, or fresh throwaway pairs are made and written to a
// directory, where the gateway's Alipay channel finds its two files (the merchant's private key and
// the sandbox's public key, which plays Alipay's). Private keys are written 0600.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { createAlipaySandboxFromPem, generateAlipaySandboxKeys, type AlipaySandbox } from './alipay-sandbox.ts';

export const alipaySandboxDefaultAppId = '2021000000000000';

export interface AlipaySandboxSetupOptions {
  appId: string;
  /** The sandbox's own private key (signs answers); with merchantPublicKeyFile. */
  privateKeyFile?: string;
  /** The merchant application's public key (verifies requests); with privateKeyFile. */
  merchantPublicKeyFile?: string;
  /** Where fresh keys are written; a new directory under the system's temp directory by default. */
  keysDir?: string;
  /** False to make keys in memory only (e.g. to list the magic codes). */
  writeKeys: boolean;
}

export interface AlipaySandboxSetup {
  provider: AlipaySandbox;
  appId: string;
  /** The files a gateway channel is configured with, when fresh keys were written. */
  channelKeyFiles: { privateKeyFile: string; alipayPublicKeyFile: string } | null;
}

function readKeyFile(field: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (caught) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: `cannot read ${file}: ${(caught as Error).message}` });
  }
}

export function setUpAlipaySandbox(options: AlipaySandboxSetupOptions): AlipaySandboxSetup {
  if (!/^[0-9]{1,32}$/.test(options.appId)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'alipay-app-id', reason: 'must be 1 to 32 digits' });
  if ((options.privateKeyFile === undefined) !== (options.merchantPublicKeyFile === undefined)) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'alipay-private-key-file', reason: '--alipay-private-key-file and --alipay-merchant-public-key-file go together' });
  }
  const provider = (sandboxPrivateKeyPem: string, merchantPublicKeyPem: string): AlipaySandbox => {
    try {
      return createAlipaySandboxFromPem({ appId: options.appId, sandboxPrivateKeyPem, merchantPublicKeyPem });
    } catch (caught) {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'alipay-private-key-file', reason: `not an RSA key pair Alipay's tools export: ${(caught as Error).message}` });
    }
  };
  if (options.privateKeyFile !== undefined && options.merchantPublicKeyFile !== undefined) {
    const sandbox = provider(readKeyFile('alipay-private-key-file', options.privateKeyFile), readKeyFile('alipay-merchant-public-key-file', options.merchantPublicKeyFile));
    return { provider: sandbox, appId: options.appId, channelKeyFiles: null };
  }
  const keys = generateAlipaySandboxKeys();
  const sandbox = provider(keys.sandboxPrivateKeyPem, keys.merchantPublicKeyPem);
  if (!options.writeKeys) return { provider: sandbox, appId: options.appId, channelKeyFiles: null };
  const dir = options.keysDir ?? mkdtempSync(join(tmpdir(), 'reswipe-alipay-sandbox-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    privateKeyFile: join(dir, 'app-private-key.pem'),
    alipayPublicKeyFile: join(dir, 'alipay-public-key.pem'),
  };
  writeFileSync(files.privateKeyFile, keys.merchantPrivateKeyPem, { mode: 0o600 });
  writeFileSync(files.alipayPublicKeyFile, keys.sandboxPublicKeyPem, { mode: 0o644 });
  // The sandbox's half too, so a restart can keep the same keys (--alipay-private-key-file ...).
  writeFileSync(join(dir, 'sandbox-private-key.pem'), keys.sandboxPrivateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'merchant-public-key.pem'), keys.merchantPublicKeyPem, { mode: 0o644 });
  return { provider: sandbox, appId: options.appId, channelKeyFiles: files };
}
