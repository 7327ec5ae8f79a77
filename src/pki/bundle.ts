import type { KeyObject } from 'node:crypto';
import {
  certificatePublicKey,
  describeCertificate,
  lastField,
  parseCertificateDer,
  sameName,
  type CertificateInfo,
} from './certificate.js';
import { PkiError } from './errors.js';
import { sameKey } from './keys.js';
import { derToPem, readPemBlocks } from './pem.js';
import { x509 } from './x509.js';

/** The private key and the certificate do not belong together. */
export class KeyMismatchError extends PkiError {}

/** A certificate of a PEM bundle, parsed. */
export interface BundleCertificate {
  pem: string;
  cert: x509.X509Certificate;
}

const CERT_LABELS = ['CERTIFICATE', 'X509 CERTIFICATE'];
const NO_CERT = 'the text holds no PEM certificate';
const OID_SKI = '2.5.29.14';
const OID_AKI = '2.5.29.35';

/**
 * Every certificate of a PEM bundle (through the shared PEM reader), in the order given, a certificate given
 * twice kept once. Broken armour, a block that is not a certificate, a control character in a subject or
 * issuer, or no certificate at all: PkiError. `stored` re-reads certificates the service already holds,
 * without the name check (parseCertificateDer), so one stored before that check is still shown.
 */
export function readCertificates(text: string, stored = false): BundleCertificate[] {
  const certs: BundleCertificate[] = [];
  let n = 0;
  for (const block of readPemBlocks(text, (label) => CERT_LABELS.includes(label), NO_CERT)) {
    n++;
    if (certs.some((c) => Buffer.from(c.cert.rawData).equals(block.der))) continue;
    const cert = parseCertificateDer(block.der, `certificate ${n} of the text`, !stored);
    certs.push({ pem: derToPem(block.der, 'CERTIFICATE'), cert });
  }
  return certs;
}

function keyMatches(c: BundleCertificate, key: KeyObject): boolean {
  try {
    return sameKey(key, certificatePublicKey(c.cert));
  } catch (err) {
    if (err instanceof PkiError) return false;
    throw err;
  }
}

function extensionHex(cert: x509.X509Certificate, oid: string): string | undefined {
  try {
    const ext = cert.getExtension(oid);
    if (!ext) return undefined;
    if (oid === OID_SKI) return new x509.SubjectKeyIdentifierExtension(ext.rawData).keyId;
    return new x509.AuthorityKeyIdentifierExtension(ext.rawData).keyId ?? undefined;
  } catch {
    return undefined;
  }
}

/** The issuer of `c` among `pool`: same name, preferring the one whose key identifier the AKI names. */
function issuerOf(c: BundleCertificate, pool: BundleCertificate[]): BundleCertificate | undefined {
  if (sameName(c.cert.subjectName, c.cert.issuerName)) return undefined; // self-issued: the top
  const named = pool.filter((p) => sameName(p.cert.subjectName, c.cert.issuerName));
  const aki = extensionHex(c.cert, OID_AKI);
  return named.find((p) => aki !== undefined && extensionHex(p.cert, OID_SKI) === aki) ?? named[0];
}

export interface OrderedBundle {
  leaf: CertificateInfo;
  /** Leaf first, then its issuers as far as the bundle goes, then any other certificate in the order given. */
  certificates: BundleCertificate[];
}

/**
 * Picks the leaf, the certificate whose public key is `key`'s, wherever it stands in the bundle, and orders
 * the rest leaf first by following issuer names. A bundle that lacks an issuer is kept as it is. Throws
 * KeyMismatchError when no certificate matches the key, PkiError when several distinct ones do.
 */
export function orderBundle(certs: BundleCertificate[], key: KeyObject): OrderedBundle {
  const matching = certs.filter((c) => keyMatches(c, key));
  if (matching.length === 0) throw new KeyMismatchError('the private key does not match the certificate');
  if (matching.length > 1)
    throw new PkiError('more than one certificate of the text matches the private key; give one leaf');
  const leaf = matching[0]!;
  const ordered = [leaf];
  let rest = certs.filter((c) => c !== leaf);
  for (let top = issuerOf(leaf, rest); top; top = issuerOf(top, rest)) {
    ordered.push(top);
    rest = rest.filter((c) => c !== top);
  }
  return { leaf: describeCertificate(leaf.pem), certificates: [...ordered, ...rest] };
}

export interface ChainEntry {
  commonName: string;
  issuerCommonName: string;
  notBefore: number;
  notAfter: number;
}

/**
 * Names and validity of each certificate of a stored PEM text, in order (GetUserCertificateDetail's
 * CertChain).
 */
export function chainEntries(pem: string): ChainEntry[] {
  return readCertificates(pem, true).map(({ cert }) => ({
    commonName: lastField(cert.subjectName, 'CN') ?? '',
    issuerCommonName: lastField(cert.issuerName, 'CN') ?? '',
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
  }));
}
