// What a client (the CLI with --server, koan) says when a server's certificate is refused. Certificates are always
// verified; a private CA is trusted the way Node trusts any extra CA, NODE_EXTRA_CA_CERTS, read at process start.

const untrusted = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** A clause for a refused server certificate behind a failed fetch, or undefined for any other failure. */
export function describeCertificateFailure(error: unknown): string | undefined {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code !== 'string') return undefined;
  if (untrusted.has(code)) {
    return `its certificate is not signed by a CA this machine trusts (${code}); if a private CA signed it, run with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `its certificate does not name the host in the URL (${code}); use a name or address the certificate lists`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `its certificate is outside its validity dates (${code}); renew it or check this machine's clock`;
  }
  return undefined;
}
