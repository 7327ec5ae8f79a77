import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { PkiError } from './errors.js';
import { describeKey } from './keys.js';
import { pemToDer, splitPemBlocks } from './pem.js';
import { x509 } from './x509.js';

export interface CertificateInfo {
  /** The certificate as one normalised PEM block ('\n' endings, 64-column body, ending in '\n'). */
  pem: string;
  /** The serial number in lower-case hex, as `openssl x509 -serial` prints it (no DER sign byte). */
  serialHex: string;
  /** Epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  /** '' when the name has no CN. */
  subjectCommonName: string;
  issuerCommonName: string;
  /** DNS names (lower-cased) and IP addresses of the subjectAltName extension, in order, deduplicated. */
  sans: string[];
  /** 40 upper-case hex digits, of the DER. */
  sha1Fingerprint: string;
  /** 64 upper-case hex digits, of the DER. */
  sha256Fingerprint: string;
  keyAlgorithm: 'RSA' | 'EC';
  keySize: number;
  orgName?: string;
  country?: string;
  province?: string;
  city?: string;
}

export { derToPem, pemToDer, splitPemBlocks } from './pem.js';

export { readTlv, type Tlv } from './der.js';
import { readTlv } from './der.js';

/**
 * True when the bytes are exactly one DER SEQUENCE (no trailing bytes, definite length), which is what every
 * certificate, CSR and key structure is. Catches most garbage before a parser sees it.
 */
export function isSingleDerSequence(der: Uint8Array): boolean {
  const tlv = readTlv(der);
  return tlv !== undefined && tlv.tag === 0x30 && tlv.end === der.length;
}

/**
 * The RFC 5280 §4.2.1.2 (method 1) key identifier of a DER SubjectPublicKeyInfo: the SHA-1 of the
 * subjectPublicKey BIT STRING's value, as lower-case hex.
 */
export function keyIdentifierHex(spki: Uint8Array): string {
  const outer = readTlv(spki);
  const alg = outer && outer.tag === 0x30 ? readTlv(spki, outer.start, outer.end) : undefined;
  const bits = alg && alg.tag === 0x30 ? readTlv(spki, alg.end, outer?.end) : undefined;
  if (!bits || bits.tag !== 0x03 || bits.end <= bits.start)
    throw new PkiError('the public key cannot be read');
  return createHash('sha1')
    .update(spki.subarray(bits.start + 1, bits.end))
    .digest('hex');
}

/**
 * C0 control characters and DEL, which CreateCsr refuses in the subject fields it is given: no name that a
 * certificate or CSR brings in may hold one either. NUL matters most: PostgreSQL refuses it in any text, and
 * `a.example\0.evil.com` is the classic way to make a name read differently by different parsers.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * `U+0000` for the first control character (C0 or DEL) of `value`, undefined when it holds none: the one test
 * for the texts that may hold none (names in certificates and CSRs, CreateCsr's subject, upload names).
 */
export function controlCharacterIn(value: string): string | undefined {
  const m = CONTROL_CHARACTER.exec(value);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/** Single-byte string types @peculiar/x509 leaves undecoded: Numeric, Teletex, Videotex, IA5, Graphic, Visible, General. */
const SINGLE_BYTE_STRINGS = new Set([0x12, 0x14, 0x15, 0x16, 0x19, 0x1a, 0x1b]);

/**
 * The text of a name's attribute value. @peculiar/x509 decodes the DirectoryString types and leaves others as
 * `#` and the hex of their DER; a single-byte string type (a CN as VisibleString, say) is read here byte for
 * byte, so it is shown as text and checked like any other. Anything else is returned as it is.
 */
export function fieldText(value: string): string {
  if (!/^#(?:[0-9a-fA-F]{2})+$/.test(value)) return value;
  const der = Buffer.from(value.slice(1), 'hex');
  const t = readTlv(der);
  if (!t || t.end !== der.length || !SINGLE_BYTE_STRINGS.has(t.tag)) return value;
  return der.subarray(t.start, t.end).toString('latin1');
}

/**
 * Checks every attribute value of a distinguished name (a certificate's subject or issuer, a CSR's subject):
 * a control character anywhere is a PkiError saying which field holds it. `what` is the name as the message
 * shows it, e.g. "the CSR's subject". Every parser of certificates and CSRs calls this on the names it reads.
 */
export function checkNameText(name: x509.Name, what: string): void {
  for (const rdn of name.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      for (const value of values) {
        const c = controlCharacterIn(fieldText(value));
        if (c !== undefined)
          throw new PkiError(
            `${what} holds a control character (${c}) in ${type}; names may not contain control characters`,
          );
      }
    }
  }
}

/**
 * Every value of a subject or issuer field (CN, O, C...), in order, as text (fieldText). Read through toJSON,
 * which marks an undecoded value with `#` (getField gives the bare hex, which a text value could look like).
 */
export function fieldValues(name: x509.Name, field: string): string[] {
  return name.toJSON().flatMap((rdn) => (rdn[field] ?? []).map(fieldText));
}

/** The last value of a subject or issuer field (CN, O, C...), undefined when absent or empty. */
export function lastField(name: x509.Name, field: string): string | undefined {
  const values = fieldValues(name, field);
  const v = values[values.length - 1];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * DNS names (lower-cased) and IP addresses from a subjectAltName extension, deduplicated, in order. A DNS
 * name holding a control character is a PkiError (as in checkNameText); anything else wrong with the
 * extension throws whatever the ASN.1 parser throws.
 */
export function sanNames(ext: x509.Extension | null, types: readonly string[] = ['dns', 'ip']): string[] {
  if (!ext) return [];
  const san = new x509.SubjectAlternativeNameExtension(ext.rawData);
  const out: string[] = [];
  for (const item of san.names.items) {
    if (!types.includes(item.type)) continue;
    const c = item.type === 'dns' ? controlCharacterIn(item.value) : undefined;
    if (c !== undefined)
      throw new PkiError(
        `a DNS name of the subjectAltName extension holds a control character (${c}); names may not contain control characters`,
      );
    const value = item.type === 'dns' ? item.value.trim().toLowerCase() : item.value;
    if (value !== '' && !out.includes(value)) out.push(value);
  }
  return out;
}

/**
 * Parses a DER certificate with @peculiar/x509, turning any failure into PkiError. The subject and issuer
 * must hold no control character (checkNameText), unless `checkNames` is false: only for re-reading a
 * certificate stored before that rule, which is shown as it is.
 */
export function parseCertificateDer(
  der: Uint8Array,
  what = 'the text',
  checkNames = true,
): x509.X509Certificate {
  const fail = new PkiError(`${what} is not a PEM certificate`);
  if (!isSingleDerSequence(der)) throw fail;
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(new Uint8Array(der));
    // Touch the lazily parsed parts, so a malformed one fails here and not later.
    void cert.subjectName;
    void cert.issuerName;
    void cert.notBefore;
    void cert.notAfter;
    void cert.serialNumber;
    void cert.extensions;
  } catch {
    throw fail;
  }
  if (checkNames) {
    const whose = what === 'the text' ? "the certificate's" : `${what}: its`;
    checkNameText(cert.subjectName, `${whose} subject`);
    checkNameText(cert.issuerName, `${whose} issuer`);
  }
  return cert;
}

/** True when two distinguished names are the same DER. */
export function sameName(a: x509.Name, b: x509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()));
}

/** The public key of a certificate as a node:crypto KeyObject. */
export function certificatePublicKey(cert: x509.X509Certificate): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new PkiError("the certificate's public key cannot be read");
  }
}

/**
 * Reads the first CERTIFICATE block of the text: serial, validity, names, SANs, fingerprints and key.
 * Throws PkiError when there is no readable certificate or its key is neither RSA nor EC.
 */
export function describeCertificate(pem: string): CertificateInfo {
  const block = splitPemBlocks(pem, 'CERTIFICATE')[0];
  if (block === undefined) throw new PkiError('the text is not a PEM certificate');
  const der = pemToDer(block);
  const cert = parseCertificateDer(der);
  const key = describeKey(certificatePublicKey(cert));
  let sans: string[];
  try {
    sans = sanNames(cert.getExtension('2.5.29.17'));
  } catch (err) {
    if (err instanceof PkiError) throw new PkiError(`the certificate: ${err.message}`);
    throw new PkiError("the certificate's subjectAltName extension cannot be read");
  }
  const subject = cert.subjectName;
  const info: CertificateInfo = {
    pem: block,
    serialHex: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    subjectCommonName: lastField(subject, 'CN') ?? '',
    issuerCommonName: lastField(cert.issuerName, 'CN') ?? '',
    sans,
    sha1Fingerprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256Fingerprint: createHash('sha256').update(der).digest('hex').toUpperCase(),
    keyAlgorithm: key.algorithm,
    keySize: key.size,
  };
  const org = lastField(subject, 'O');
  const country = lastField(subject, 'C');
  const province = lastField(subject, 'ST');
  const city = lastField(subject, 'L');
  if (org !== undefined) info.orgName = org;
  if (country !== undefined) info.country = country;
  if (province !== undefined) info.province = province;
  if (city !== undefined) info.city = city;
  return info;
}
