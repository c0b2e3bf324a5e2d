/**
 * TLS for sync: a hub's certificate (given, or self-signed once and kept owner-only in the config
 * dir), its fingerprint, and the HTTPS agent a spoke reaches its hub with, pinned to the
 * fingerprint it paired with.
 *
 * Pinning: a certificate is trusted because its SHA-256 fingerprint is the one the person copied
 * from the hub (`daybook pair`), not because a certificate authority signed it. Before any
 * request is sent, a probe connection reads the certificate the hub presents (and sends nothing);
 * a different one is refused, naming both fingerprints. The agent then trusts exactly that
 * certificate (as its only CA) and checks the fingerprint again on every connection, so a hub
 * that swaps certificates later is refused too, before a byte of a request (or its token) leaves.
 */
import { X509Certificate, createHash } from 'node:crypto'
import { chmodSync, existsSync, readFileSync } from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import { isIP } from 'node:net'
import { writeFileAtomic } from '../../config/files.ts'

/** A certificate and its key (PEM), and the certificate's fingerprint. */
export interface TlsMaterial {
  cert: string
  key: string
  fingerprint: string
}

/** `SHA256:` and the unpadded base64 of the SHA-256 of a certificate's DER bytes (as ssh shows keys). */
export function fingerprintOf(certificate: string | Buffer): string {
  const der = typeof certificate === 'string' ? new X509Certificate(certificate).raw : certificate
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`
}

/** True for text shaped like a fingerprint `fingerprintOf` makes. */
export function isFingerprint(text: string): boolean {
  return /^SHA256:[A-Za-z0-9+/]{43}$/.test(text)
}

/** Where a hub keeps the certificate it made for itself. */
export function selfSignedFiles(configDir: string): { cert: string; key: string } {
  const dir = path.join(configDir, 'hub-tls')
  return { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') }
}

/**
 * The hub's self-signed certificate: made on first use (an EC P-256 key, ten years, the given
 * names and addresses as alternative names) and kept, both files mode 0600, so its fingerprint
 * stays what paired devices pinned.
 */
export async function selfSignedCertificate(
  configDir: string,
  names: readonly string[],
): Promise<TlsMaterial> {
  const files = selfSignedFiles(configDir)
  if (existsSync(files.cert) && existsSync(files.key)) {
    return loadCertificate(files.cert, files.key)
  }
  const altNames = [...new Set(['localhost', '127.0.0.1', '::1', ...names])].map((n) =>
    /^[0-9.]+$/.test(n) || n.includes(':')
      ? { type: 7 as const, ip: n.replace(/^\[|\]$/g, '') }
      : { type: 2 as const, value: n },
  )
  // Loaded only to make a certificate (once per hub): it brings an X.509 toolkit.
  const { generate } = await import('selfsigned')
  const made = await generate([{ name: 'commonName', value: 'Daybook hub' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 86_400_000),
    notAfterDate: new Date(Date.now() + 3650 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  })
  // The key first: a certificate without its key would be kept and never work.
  writeFileAtomic(files.key, made.private)
  writeFileAtomic(files.cert, made.cert)
  return { cert: made.cert, key: made.private, fingerprint: fingerprintOf(made.cert) }
}

/** A certificate and key from files (`--tls-cert`, `--tls-key`); throws when they are unusable. */
export function loadCertificate(certFile: string, keyFile: string): TlsMaterial {
  const cert = readFileSync(certFile, 'utf8')
  const key = readFileSync(keyFile, 'utf8')
  // Refused here, at start, rather than at the first connection.
  tls.createSecureContext({ cert, key })
  if (existsSync(keyFile)) {
    try {
      chmodSync(keyFile, 0o600)
    } catch {
      // Not ours to change (a key managed elsewhere): it is read, not rewritten.
    }
  }
  return { cert, key, fingerprint: fingerprintOf(cert) }
}

/** The hub presented another certificate than the one paired with. */
export class FingerprintMismatchError extends Error {
  readonly expected: string
  readonly actual: string

  constructor(expected: string, actual: string) {
    super(
      `the hub's certificate has fingerprint ${actual}, not ${expected} as paired: ` +
        'refusing to send anything (if the hub really has a new certificate, pair again)',
    )
    this.expected = expected
    this.actual = actual
  }
}

/** Reads the certificate a TLS server presents, sending nothing else. */
function presentedCertificate(url: URL): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      // Unverified on purpose: only the fingerprint is looked at, and nothing is sent.
      rejectUnauthorized: false,
      ...(isIP(host) === 0 ? { servername: host } : {}),
    })
    socket.setTimeout(15_000, () => socket.destroy(new Error('the TLS handshake timed out')))
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerCertificate(true)
      socket.destroy()
      resolve(certificate)
    })
    socket.once('error', reject)
  })
}

/**
 * An HTTPS agent for `url` that trusts only the certificate with `fingerprint` (see the module
 * comment). Without a fingerprint, the usual certificate-authority checks apply (a hub behind a
 * TLS proxy with a public certificate). Throws `FingerprintMismatchError` for another certificate.
 */
export async function pinnedAgent(url: URL, fingerprint: string | undefined): Promise<https.Agent> {
  if (fingerprint === undefined) return new https.Agent({ keepAlive: true })
  const presented = await presentedCertificate(url)
  const actual = fingerprintOf(presented.raw)
  if (actual !== fingerprint) throw new FingerprintMismatchError(fingerprint, actual)
  return new https.Agent({
    keepAlive: true,
    ca: [new X509Certificate(presented.raw).toString()],
    // The pinned certificate is the trust anchor even when a CA issued it.
    allowPartialTrustChain: true,
    checkServerIdentity: (_host, cert) => {
      const now = fingerprintOf(cert.raw)
      return now === fingerprint ? undefined : new FingerprintMismatchError(fingerprint, now)
    },
  })
}
