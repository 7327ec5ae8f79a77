import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  checkNameText,
  fieldValues,
  isSingleDerSequence,
  lastField,
  readTlv,
  sanNames,
} from './certificate.js';
import { derToPem, pemToDer, readPemBlocks } from './pem.js';
import { PkiError } from './errors.js';
import { keyTypeName, webKeyParams } from './keys.js';
import { describeSpki, type SpkiKey } from './leaf.js';
import { webcrypto, x509 } from './x509.js';

export interface ParsedCsr {
  /** Normalised: one CERTIFICATE REQUEST block, '\n' endings, 64-column body, ending in '\n'. */
  pem: string;
  /** Lower-cased. */
  commonName: string;
  /** DNS SANs, lower-cased, deduplicated, in the CSR's order. */
  sans: string[];
  /** node:crypto public KeyObject. */
  publicKey: KeyObject;
  keyAlgorithm: 'RSA' | 'EC';
  /** RSA modulus bits, or 256/384 for EC. */
  keySize: number;
  /** The other subject fields (the last of each), when present. */
  subject: CsrSubjectFields;
}

export interface CsrSubjectFields {
  country?: string;
  province?: string;
  locality?: string;
  organization?: string;
  organizationalUnit?: string;
}

const NOT_A_CSR = 'the text is not a PEM certificate request';
/** OpenSSL (and so Node) refuses to verify with larger RSA moduli. */
const RSA_MAX_BITS = 16384;
const EC_SIZES: Record<string, number> = { prime256v1: 256, secp384r1: 384 };
/** Friendlier names for curves in error messages. */
const CURVE_NAMES: Record<string, string> = { secp521r1: 'P-521 (secp521r1)' };

/** The raw bytes of the first element inside the outer SEQUENCE: the signed certificationRequestInfo. */
function signedPart(der: Uint8Array): Uint8Array | undefined {
  const outer = readTlv(der);
  const inner = outer && outer.tag === 0x30 ? readTlv(der, outer.start, outer.end) : undefined;
  return inner && inner.tag === 0x30 ? der.subarray(outer?.start, inner.end) : undefined;
}

const HASHES: Record<string, string> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function hashName(hash: unknown): string | undefined {
  const name = typeof hash === 'string' ? hash : (hash as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? HASHES[name.toUpperCase()] : undefined;
}

/** Verifies the CSR's self-signature with node:crypto (synchronous; microseconds for RSA and ECDSA). */
function signatureVerifies(
  csr: x509.Pkcs10CertificateRequest,
  der: Uint8Array,
  publicKey: KeyObject,
): boolean {
  let algorithm: { name?: string; hash?: unknown; saltLength?: number };
  try {
    algorithm = csr.signatureAlgorithm as typeof algorithm;
  } catch {
    throw new PkiError("the CSR's signature uses an unsupported algorithm");
  }
  const hash = hashName(algorithm.hash);
  const name = (algorithm.name ?? '').toUpperCase();
  if (hash === undefined || !['RSASSA-PKCS1-V1_5', 'RSA-PSS', 'ECDSA'].includes(name)) {
    throw new PkiError("the CSR's signature uses an unsupported algorithm");
  }
  const tbs = signedPart(der);
  if (!tbs) return false;
  try {
    const signature = Buffer.from(csr.signature);
    if (name === 'ECDSA') {
      if (publicKey.asymmetricKeyType !== 'ec') return false;
      return verify(hash, tbs, { key: publicKey, dsaEncoding: 'der' }, signature);
    }
    if (publicKey.asymmetricKeyType !== 'rsa') return false;
    if (name === 'RSA-PSS') {
      const saltLength = algorithm.saltLength ?? 20;
      return verify(
        hash,
        tbs,
        { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        signature,
      );
    }
    return verify(hash, tbs, publicKey, signature);
  } catch {
    return false;
  }
}

const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];

function findCsrBlock(text: string): Buffer {
  const csrs = readPemBlocks(text, (label) => CSR_LABELS.includes(label), NOT_A_CSR);
  if (csrs.length > 1) throw new PkiError('the text holds more than one certificate request');
  return csrs[0]!.der;
}

/** The key's algorithm, size, exponent and curve, each refusal in the terms clients know. */
function checkKey(publicKey: KeyObject): void {
  const type = publicKey.asymmetricKeyType;
  const details = publicKey.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) throw new PkiError(`the CSR's RSA key has ${bits} bits; at least 2048 are required`);
    if (bits > RSA_MAX_BITS) {
      throw new PkiError(`the CSR's RSA key has ${bits} bits; at most ${RSA_MAX_BITS} are supported`);
    }
    // CA/Browser Forum BR 6.1.6: an odd public exponent of at least 3 (e = 1 would let anyone sign).
    const e = details.publicExponent;
    if (e === undefined || e < 3n || e % 2n === 0n) {
      throw new PkiError(
        `the CSR's RSA key has the public exponent ${String(e)}; an odd exponent of at least 3 is required`,
      );
    }
    return;
  }
  if (type === 'ec') {
    const curve = details.namedCurve;
    if (curve === undefined)
      throw new PkiError(
        "the CSR's key gives its EC curve as explicit parameters; the curve must be named: P-256 or P-384",
      );
    if (EC_SIZES[curve] === undefined) {
      throw new PkiError(
        `the CSR's key uses the unsupported curve ${CURVE_NAMES[curve] ?? curve}; only P-256 and P-384 are accepted`,
      );
    }
    return;
  }
  throw new PkiError(
    `the CSR's key uses the unsupported key algorithm ${keyTypeName(type)}; only RSA and ECDSA keys are accepted`,
  );
}

/**
 * Parses and checks a PEM PKCS#10 certificate request (decisions.md 19): the self-signature must verify, the key
 * must be RSA of at least 2048 bits or ECDSA on P-256 or P-384 (a named curve, an uncompressed point: the key
 * must pass the issuer's own check, describeSpki), the subject must have a Common Name, and no name may hold
 * a control character (checkNameText). Tolerates CRLF, a BOM, text around the block and trailing spaces.
 * Every problem is a PkiError with a reason.
 */
export function parseCsr(pem: string): ParsedCsr {
  if (typeof pem !== 'string') throw new PkiError(NOT_A_CSR);
  const der = findCsrBlock(pem);
  if (!isSingleDerSequence(der)) throw new PkiError(NOT_A_CSR);

  let csr: x509.Pkcs10CertificateRequest;
  let subject: x509.Name;
  try {
    csr = new x509.Pkcs10CertificateRequest(new Uint8Array(der));
    subject = csr.subjectName;
    void csr.publicKey;
  } catch {
    throw new PkiError(NOT_A_CSR);
  }
  // The key's bytes exactly as issuance will read them from the stored CSR (csrPublicKey).
  const spki = spkiOf(der);
  if (spki === undefined) throw new PkiError(NOT_A_CSR);

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw new PkiError("the CSR's public key cannot be read (unsupported or malformed key)");
  }
  // checkKey says what is wrong in the terms clients know; describeSpki is the issuer's own check, so a CSR is
  // never accepted (and a unit taken) with a key the CA would then refuse to certify.
  checkKey(publicKey);
  const { keyAlgorithm, keySize } = describeSpki(spki, "the CSR's key");

  if (!signatureVerifies(csr, der, publicKey)) throw new PkiError("the CSR's signature does not verify");

  let cns: string[];
  try {
    cns = fieldValues(subject, 'CN').map((cn) => cn.trim().toLowerCase());
  } catch {
    throw new PkiError("the CSR's subject cannot be read");
  }
  checkNameText(subject, "the CSR's subject");
  // With several CNs, the last (most specific) one is the name, as OpenSSL reads it.
  const commonName = cns.filter((cn) => cn !== '').pop();
  if (commonName === undefined) throw new PkiError('the CSR has no Common Name (CN)');

  let sans: string[];
  try {
    sans = sanNames(csr.getExtension('2.5.29.17'), ['dns']);
  } catch (err) {
    if (err instanceof PkiError) throw new PkiError(`the CSR: ${err.message}`);
    throw new PkiError("the CSR's subjectAltName extension cannot be read");
  }

  const subjectFields: CsrSubjectFields = {};
  const fields = [
    ['country', 'C'],
    ['province', 'ST'],
    ['locality', 'L'],
    ['organization', 'O'],
    ['organizationalUnit', 'OU'],
  ] as const;
  for (const [key, short] of fields) {
    const v = lastField(subject, short);
    if (v !== undefined) subjectFields[key] = v;
  }
  return {
    pem: derToPem(der, 'CERTIFICATE REQUEST'),
    commonName,
    sans,
    publicKey,
    keyAlgorithm,
    keySize,
    subject: subjectFields,
  };
}

export interface CsrSubject extends CsrSubjectFields {
  commonName: string;
}

/**
 * Builds and signs a PKCS#10 request for a key pair the service made: the subject from `subject` (C as a
 * PrintableString, the rest UTF-8), every name of `names` as a dNSName in the subjectAltName extension.
 * Returns the normalised PEM.
 */
export async function buildCsr(subject: CsrSubject, names: string[], privateKey: KeyObject): Promise<string> {
  const { importParams, signing } = webKeyParams(privateKey, 'the CSR key');
  const publicKey = createPublicKey(privateKey);
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      'pkcs8',
      privateKey.export({ type: 'pkcs8', format: 'der' }),
      importParams,
      false,
      ['sign'],
    ),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      importParams,
      true,
      ['verify'],
    ),
  };
  const utf8 = (v: string) => [{ utf8String: v }];
  const rdns: x509.JsonNameParams = [];
  if (subject.country !== undefined) rdns.push({ C: [{ printableString: subject.country }] });
  if (subject.province !== undefined) rdns.push({ ST: utf8(subject.province) });
  if (subject.locality !== undefined) rdns.push({ L: utf8(subject.locality) });
  if (subject.organization !== undefined) rdns.push({ O: utf8(subject.organization) });
  if (subject.organizationalUnit !== undefined) rdns.push({ OU: utf8(subject.organizationalUnit) });
  rdns.push({ CN: utf8(subject.commonName) });
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(rdns),
    keys,
    signingAlgorithm: signing,
    extensions: names.length
      ? [new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value })))]
      : [],
  });
  return derToPem(csr.rawData, 'CERTIFICATE REQUEST');
}

/**
 * The public key of a CSR that parseCsr accepted earlier (a stored application's): its SubjectPublicKeyInfo
 * read straight from the DER, without parsing the rest or verifying the signature again. This is what
 * issuance needs, at a small fraction of parseCsr's cost. Throws PkiError when the text is not such a CSR.
 */
export function csrPublicKey(pem: string): SpkiKey {
  const spki = spkiOf(pemToDer(pem));
  if (spki === undefined) throw new PkiError(NOT_A_CSR);
  return describeSpki(spki);
}

/** The DER SubjectPublicKeyInfo of a DER CSR, read by position: the very bytes it signed. */
function spkiOf(der: Uint8Array): Uint8Array | undefined {
  const outer = readTlv(der);
  const info = outer && outer.tag === 0x30 ? readTlv(der, outer.start, outer.end) : undefined;
  const version = info && info.tag === 0x30 ? readTlv(der, info.start, info.end) : undefined;
  const subject = version && version.tag === 0x02 ? readTlv(der, version.end, info?.end) : undefined;
  const spki = subject && subject.tag === 0x30 ? readTlv(der, subject.end, info?.end) : undefined;
  if (!outer || outer.end !== der.length || !spki || spki.tag !== 0x30) return undefined;
  return der.subarray(subject!.end, spki.end);
}
