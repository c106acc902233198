// The certificate and key of serve's HTTPS listener, read and checked before anything listens, so that a wrong
// path or a key of another certificate is one sentence at startup, not a failed handshake at every client.

import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BootwrightError, quote } from '../errors.js';

export interface TlsCredentials {
  /** PEM: the server's certificate, then any intermediates. */
  cert: Buffer;
  key: Buffer;
  /** The leaf certificate, for its names and dates. */
  certificate: X509Certificate;
}

/** Where a path came from, to name the fix: `--tls-cert` or the `tls_cert` setting. */
export interface TlsPaths {
  cert: string;
  key: string;
  certOrigin: string;
  keyOrigin: string;
}

function invalidTls(message: string): BootwrightError {
  return new BootwrightError('E_INVALID', message);
}

function readPem(path: string, what: string, origin: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message;
    throw invalidTls(`Cannot read the TLS ${what} ${quote(path)} (${why}); check the path in ${origin}.`);
  }
}

export function loadTlsCredentials(paths: TlsPaths): TlsCredentials {
  const cert = readPem(paths.cert, 'certificate', paths.certOrigin);
  const key = readPem(paths.key, 'key', paths.keyOrigin);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw invalidTls(
      `The TLS certificate ${quote(paths.cert)} is not a PEM certificate ("-----BEGIN CERTIFICATE-----"); give one in ${paths.certOrigin}.`,
    );
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key.toString('latin1'))) {
    throw invalidTls(
      `The TLS key ${quote(paths.key)} is encrypted with a passphrase, which serve cannot ask for; write a plain copy readable only by root with "openssl pkey -in ${paths.key} -out KEY".`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw invalidTls(
      `The TLS key ${quote(paths.key)} is not a PEM private key ("-----BEGIN PRIVATE KEY-----"); give one in ${paths.keyOrigin}.`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw invalidTls(
      `The TLS key ${quote(paths.key)} does not belong to the certificate ${quote(paths.cert)}; give the key the certificate was made for.`,
    );
  }
  return { cert, key, certificate };
}
