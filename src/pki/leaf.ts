/**
 * The leaf certificate builder of the embedded CA (design.md, leaf profile). Everything that is the same for
 * every leaf of one CA (version, signature algorithm, issuer name, BasicConstraints, both KeyUsage variants,
 * EKU, AKI) is DER-encoded once; a leaf is those bytes with the variable fields (serial, validity, subject,
 * SAN, public key, SKI) written around them, then signed with node:crypto. No general ASN.1 library on this
 * path: it runs once per issued certificate.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from './certificate.js';
import { extension, oid, readTlv, sequence, tlv, TAG, x509Time } from './der.js';
import { PkiError } from './errors.js';
import { describeKey } from './keys.js';
import { derToPem } from './pem.js';

const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};

/** KeyUsage bits (RFC 5280 §4.2.1.3): digitalSignature is bit 0, keyEncipherment bit 2 (big-endian bits). */
const KU_DIGITAL_SIGNATURE = Buffer.from([TAG.BIT_STRING, 2, 7, 0x80]);
const KU_DIGITAL_SIGNATURE_KEY_ENCIPHERMENT = Buffer.from([TAG.BIT_STRING, 2, 5, 0xa0]);
const VERSION_3 = Buffer.from([0xa0, 3, TAG.INTEGER, 1, 2]);
const EMPTY_NAME = Buffer.from([TAG.SEQUENCE, 0]);
const CONTEXT_2 = 0x82; // GeneralName dNSName [2] IA5String, implicit
const CONTEXT_3_CONSTRUCTED = 0xa3; // TBSCertificate extensions [3] EXPLICIT
/** X.520 ub-common-name: a longer first name stays in the SAN only. */
const MAX_CN = 64;

export interface LeafTemplateParams {
  /** The intermediate's subject, exactly as its certificate encodes it: the leaf's issuer. */
  issuerNameDer: Uint8Array;
  issuerCommonName: string;
  /** The intermediate's subject key identifier: the leaf's AKI keyIdentifier. */
  authorityKeyId: Uint8Array;
  /** The intermediate's private key: RSA (PKCS#1 v1.5, SHA-256) or ECDSA on P-256 (SHA-256) or P-384 (SHA-384). */
  signingKey: KeyObject;
}

export interface LeafFields {
  /** The serial's unsigned magnitude: 1 to 20 octets, the first non-zero and below 0x80. */
  serial: Uint8Array;
  /** Epoch ms, whole seconds. */
  notBefore: number;
  notAfter: number;
  /** Normalised, deduplicated DNS names (ASCII): the SAN, in order. */
  names: string[];
  /** DER SubjectPublicKeyInfo of the leaf key. */
  spki: Uint8Array;
  keyAlgorithm: 'RSA' | 'EC';
  keySize: number;
}

export interface BuiltLeaf {
  der: Buffer;
  leafPem: string;
  serialHex: string;
  notBefore: number;
  notAfter: number;
  /** What describeCertificate would read back from the leaf, without parsing it. */
  info: CertificateInfo;
}

export class LeafTemplate {
  private readonly hash: 'sha256' | 'sha384';
  private readonly signatureAlgorithm: Buffer;
  private readonly issuer: Buffer;
  private readonly issuerCommonName: string;
  private readonly signingKey: KeyObject;
  private readonly fixed: {
    basicConstraints: Buffer;
    keyUsageEc: Buffer;
    keyUsageRsa: Buffer;
    extKeyUsage: Buffer;
    authorityKeyId: Buffer;
  };
  private readonly oidSan = oid(OID.subjectAltName);
  private readonly oidSki = oid(OID.subjectKeyIdentifier);
  private readonly oidCn = oid(OID.commonName);

  constructor(p: LeafTemplateParams) {
    const name = readTlv(p.issuerNameDer);
    if (!name || name.tag !== TAG.SEQUENCE || name.end !== p.issuerNameDer.length)
      throw new PkiError('the issuer name is not one DER SEQUENCE');
    if (p.signingKey.type !== 'private') throw new PkiError('the CA signing key must be a private key');
    const key = describeKey(p.signingKey);
    if (key.algorithm === 'RSA') {
      this.hash = 'sha256';
      this.signatureAlgorithm = sequence(oid(OID.sha256WithRsa), Buffer.from([TAG.NULL, 0]));
    } else if (key.size === 256 || key.size === 384) {
      // RFC 5758 §3.2: the ECDSA AlgorithmIdentifier has no parameters.
      this.hash = key.size === 384 ? 'sha384' : 'sha256';
      this.signatureAlgorithm = sequence(oid(key.size === 384 ? OID.ecdsaWithSha384 : OID.ecdsaWithSha256));
    } else {
      throw new PkiError('the CA key must be RSA, or ECDSA on P-256 or P-384');
    }
    this.issuer = Buffer.from(p.issuerNameDer);
    this.issuerCommonName = p.issuerCommonName;
    this.signingKey = p.signingKey;
    this.fixed = {
      // cA FALSE is the DEFAULT, so DER leaves it out: an empty SEQUENCE.
      basicConstraints: extension(OID.basicConstraints, true, sequence()),
      keyUsageEc: extension(OID.keyUsage, true, KU_DIGITAL_SIGNATURE),
      keyUsageRsa: extension(OID.keyUsage, true, KU_DIGITAL_SIGNATURE_KEY_ENCIPHERMENT),
      extKeyUsage: extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      authorityKeyId: extension(
        OID.authorityKeyIdentifier,
        false,
        sequence(tlv(0x80, p.authorityKeyId)), // keyIdentifier [0] IMPLICIT OCTET STRING
      ),
    };
  }

  /** The DER TBSCertificate of a leaf (RFC 5280 §4.1). */
  tbs(f: LeafFields): { tbs: Buffer; commonName: string | undefined } {
    const first = f.serial[0];
    if (f.serial.length < 1 || f.serial.length > 20 || first === undefined || first === 0 || first >= 0x80)
      throw new PkiError('the serial must be 1 to 20 octets, positive and minimal');
    const commonName = f.names.find((n) => n.length <= MAX_CN);
    const subject =
      commonName === undefined
        ? EMPTY_NAME
        : sequence(tlv(TAG.SET, sequence(this.oidCn, tlv(TAG.UTF8_STRING, Buffer.from(commonName, 'utf8')))));
    const san = sequence(...f.names.map((n) => tlv(CONTEXT_2, Buffer.from(n, 'latin1'))));
    const ski = createHash('sha1').update(subjectPublicKeyBits(f.spki)).digest();
    const extensions = tlv(
      CONTEXT_3_CONSTRUCTED,
      sequence(
        this.fixed.basicConstraints,
        f.keyAlgorithm === 'RSA' ? this.fixed.keyUsageRsa : this.fixed.keyUsageEc,
        this.fixed.extKeyUsage,
        // RFC 5280 §4.2.1.6: with an empty subject, the SAN must be critical.
        commonName === undefined
          ? sequence(this.oidSan, Buffer.from([TAG.BOOLEAN, 1, 0xff]), tlv(TAG.OCTET_STRING, san))
          : sequence(this.oidSan, tlv(TAG.OCTET_STRING, san)),
        this.fixed.authorityKeyId,
        sequence(this.oidSki, tlv(TAG.OCTET_STRING, tlv(TAG.OCTET_STRING, ski))),
      ),
    );
    const tbs = sequence(
      VERSION_3,
      tlv(TAG.INTEGER, f.serial),
      this.signatureAlgorithm,
      this.issuer,
      sequence(x509Time(f.notBefore), x509Time(f.notAfter)),
      subject,
      f.spki,
      extensions,
    );
    return { tbs, commonName };
  }

  /** Builds and signs one leaf. */
  build(f: LeafFields): BuiltLeaf {
    const { tbs, commonName } = this.tbs(f);
    // ECDSA signatures come out DER-encoded (Ecdsa-Sig-Value), as X.509 wants them; RSA is PKCS#1 v1.5.
    const signature = sign(this.hash, tbs, this.signingKey);
    const der = sequence(tbs, this.signatureAlgorithm, tlv(TAG.BIT_STRING, Buffer.from([0]), signature));
    const leafPem = derToPem(der, 'CERTIFICATE');
    const serialHex = Buffer.from(f.serial).toString('hex');
    return {
      der,
      leafPem,
      serialHex,
      notBefore: f.notBefore,
      notAfter: f.notAfter,
      info: {
        pem: leafPem,
        serialHex,
        notBefore: f.notBefore,
        notAfter: f.notAfter,
        subjectCommonName: commonName ?? '',
        issuerCommonName: this.issuerCommonName,
        sans: [...f.names],
        sha1Fingerprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
        sha256Fingerprint: createHash('sha256').update(der).digest('hex').toUpperCase(),
        keyAlgorithm: f.keyAlgorithm,
        keySize: f.keySize,
      },
    };
  }
}

/** A leaf public key as DER SubjectPublicKeyInfo, with what the profile needs to know about it. */
export interface SpkiKey {
  spki: Uint8Array;
  keyAlgorithm: 'RSA' | 'EC';
  /** RSA modulus bits, or 256/384 for P-256/P-384. */
  keySize: number;
}

const RSA_ENCRYPTION = oid('1.2.840.113549.1.1.1');
const EC_PUBLIC_KEY = oid('1.2.840.10045.2.1');
const EC_CURVES: Array<[Buffer, number, number]> = [
  // named curve, size in bits, length of the uncompressed point
  [oid('1.2.840.10045.3.1.7'), 256, 65],
  [oid('1.3.132.0.34'), 384, 97],
];

/**
 * Reads the algorithm and size of a DER SubjectPublicKeyInfo without OpenSSL (whose decoders cost far more
 * than the signature): RSA (rsaEncryption, at least 2048 bits, an odd exponent of at least 3) or EC on P-256
 * or P-384 (the curve named by its OID, an uncompressed point). Anything else is a PkiError, its message
 * starting with `what`. This is the issuer's check of a leaf key; parseCsr runs it too, so that every CSR
 * an application is accepted with has a key the CA certifies.
 */
export function describeSpki(spki: Uint8Array, what = 'the leaf key'): SpkiKey {
  const bad = () => new PkiError(`${what} must be RSA (at least 2048 bits) or EC on P-256 or P-384`);
  const outer = readTlv(spki);
  const alg = outer && outer.tag === TAG.SEQUENCE ? readTlv(spki, outer.start, outer.end) : undefined;
  const algOid = alg && alg.tag === TAG.SEQUENCE ? readTlv(spki, alg.start, alg.end) : undefined;
  if (!outer || outer.end !== spki.length || !alg || !algOid || algOid.tag !== TAG.OID) throw bad();
  const algorithm = Buffer.from(spki.subarray(alg.start, algOid.end));
  const params = Buffer.from(spki.subarray(algOid.end, alg.end));
  const bits = subjectPublicKeyBits(spki);
  if (algorithm.equals(RSA_ENCRYPTION)) {
    const key = readTlv(bits);
    const n = key && key.tag === TAG.SEQUENCE ? readTlv(bits, key.start, key.end) : undefined;
    const e = n && n.tag === TAG.INTEGER ? readTlv(bits, n.end, key?.end) : undefined;
    if (!key || !n || !e || e.tag !== TAG.INTEGER || e.end !== key.end || key.end !== bits.length)
      throw bad();
    let start = n.start;
    while (start < n.end && bits[start] === 0) start++;
    const top = bits[start] ?? 0;
    const size = (n.end - start) * 8 - (Math.clz32(top) - 24);
    const last = bits[e.end - 1] ?? 0;
    const exponentBig = e.end - e.start > 1 || (bits[e.start] ?? 0) >= 3;
    if (size < 2048 || size > 16384 || (last & 1) === 0 || !exponentBig || (bits[e.start] ?? 0) & 0x80)
      throw bad();
    return { spki, keyAlgorithm: 'RSA', keySize: size };
  }
  if (algorithm.equals(EC_PUBLIC_KEY)) {
    // RFC 5480 §2.1.1: a certificate names its curve; explicit parameters (a SEQUENCE) are not allowed.
    if (params[0] === TAG.SEQUENCE)
      throw new PkiError(
        `${what} gives its EC curve as explicit parameters; the curve must be named: P-256 or P-384`,
      );
    for (const [curve, size, pointLength] of EC_CURVES) {
      if (!params.equals(curve)) continue;
      if (bits.length === pointLength && bits[0] === 0x04) return { spki, keyAlgorithm: 'EC', keySize: size };
      if (bits[0] !== 0x04)
        throw new PkiError(`${what} must hold its EC point uncompressed (not compressed or hybrid)`);
    }
  }
  throw bad();
}

/** The subjectPublicKey BIT STRING's value (after the unused-bits octet): what the RFC 5280 key id hashes. */
function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const outer = readTlv(spki);
  const alg = outer && outer.tag === TAG.SEQUENCE ? readTlv(spki, outer.start, outer.end) : undefined;
  const bits = alg && alg.tag === TAG.SEQUENCE ? readTlv(spki, alg.end, outer?.end) : undefined;
  if (!outer || outer.end !== spki.length || !bits || bits.tag !== TAG.BIT_STRING || bits.end <= bits.start)
    throw new PkiError('the public key cannot be read');
  return spki.subarray(bits.start + 1, bits.end);
}
