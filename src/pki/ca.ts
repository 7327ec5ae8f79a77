import { createPublicKey, randomFillSync, type KeyObject } from 'node:crypto';
import {
  certificatePublicKey,
  derToPem,
  lastField,
  parseCertificateDer,
  pemToDer,
  readTlv,
  sameName,
  splitPemBlocks,
  type CertificateInfo,
} from './certificate.js';
import { PkiError } from './errors.js';
import { describeKey, readPrivateKey, sameKey, webKeyParams, type SigningAlgorithm } from './keys.js';
import { describeSpki, LeafTemplate, type LeafFields, type SpkiKey } from './leaf.js';
import { SignerPool } from './signer-pool.js';
import { webcrypto, x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;

export interface CaFiles {
  rootCertPem: string;
  /** PKCS#8 PEM. May be '' when loading a CA whose root key is kept elsewhere. */
  rootKeyPem: string;
  intermediateCertPem: string;
  /** PKCS#8 PEM (PKCS#1 and SEC1 are accepted too when loading). */
  intermediateKeyPem: string;
}

export interface CreateCaOptions {
  algorithm: 'EC' | 'RSA';
  /** The organisation name, e.g. "OpenCAS": the root is "<name> Root CA", the intermediate "<name> Intermediate CA". */
  name: string;
  /** Epoch ms: the creation time. */
  now: number;
  /** RSA only: 2048 (default) or 3072. */
  rsaBits?: 2048 | 3072;
}

export interface LeafRequest {
  /** The first is the subject CN; every one goes into the SAN. May contain '*.example.com'. */
  names: string[];
  /**
   * The leaf's public key: a KeyObject (a private one is accepted and its public half used), or its DER
   * SubjectPublicKeyInfo as read by describeSpki (much cheaper: no OpenSSL encoder on the way).
   */
  publicKey: KeyObject | SpkiKey;
  /** Epoch ms. */
  notBefore: number;
  notAfter: number;
}

export interface IssuedLeaf {
  leafPem: string;
  /** The leaf PEM followed by the intermediate PEM, '\n' endings, each block ending in '\n'. */
  fullChainPem: string;
  serialHex: string;
  /** Epoch ms, as written in the certificate (whole seconds). */
  notBefore: number;
  notAfter: number;
  /** The leaf, DER. */
  der: Buffer;
  /** What describeCertificate reads from the leaf, known without parsing it. */
  info: CertificateInfo;
}

/** CA certificates are backdated by this much, so a client whose clock is a little behind accepts them. */
const CA_BACKDATE = 60 * 60 * 1000;
const OID_SKI = '2.5.29.14';

/**
 * A random positive serial number of 128 bits minus one (RFC 5280 allows 20 octets; CA/B Forum wants at
 * least 64 bits of randomness): 16 random bytes with the top bit cleared and a non-zero first byte, so the
 * DER INTEGER is exactly 16 octets.
 */
export function randomSerial(): Buffer {
  if (serialPoolAt + 16 > serialPool.length) {
    randomFillSync(serialPool);
    serialPoolAt = 0;
  }
  const bytes = Buffer.from(serialPool.subarray(serialPoolAt, serialPoolAt + 16));
  serialPoolAt += 16;
  bytes[0] = ((bytes[0] ?? 0) % 127) + 1;
  return bytes;
}

/** Randomness for serials, drawn from the CSPRNG 4 KiB at a time (one call per 256 serials) and used once. */
const serialPool = Buffer.alloc(4096);
let serialPoolAt = serialPool.length;

export function randomSerialHex(): string {
  return randomSerial().toString('hex');
}

/**
 * The longest validity (in days) the CA/Browser Forum Baseline Requirements allow for a TLS certificate
 * issued on the given date (epoch ms, compared in UTC).
 */
export function maxValidityDays(issueDate: number): number {
  if (issueDate >= Date.UTC(2029, 2, 15)) return 47;
  if (issueDate >= Date.UTC(2027, 2, 15)) return 100;
  if (issueDate >= Date.UTC(2026, 2, 15)) return 200;
  return 398;
}

function addYears(ms: number, years: number): Date {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** Whole seconds: X.509 times have no fractions, and the values we report must be the ones written. */
function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function caName(cn: string, org: string): x509.Name {
  return new x509.Name([{ O: [{ utf8String: org }] }, { CN: [{ utf8String: cn }] }]);
}

async function generateCaKeys(
  opts: CreateCaOptions,
): Promise<{ keys: webcrypto.CryptoKeyPair; signing: SigningAlgorithm }> {
  const usages: webcrypto.KeyUsage[] = ['sign', 'verify'];
  if (opts.algorithm === 'EC') {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, usages);
    return { keys, signing: { name: 'ECDSA', hash: 'SHA-256' } };
  }
  if (opts.algorithm === 'RSA') {
    const bits = opts.rsaBits ?? 2048;
    if (bits !== 2048 && bits !== 3072)
      throw new PkiError(`the CA's RSA key can be 2048 or 3072 bits, not ${bits}`);
    const keys = await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      usages,
    );
    return { keys, signing: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } };
  }
  throw new PkiError(`unsupported CA key algorithm ${String(opts.algorithm)}`);
}

async function exportPkcs8(key: CryptoKey): Promise<string> {
  return derToPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/**
 * Creates a two-level CA: a self-signed root (20 years) and an intermediate (10 years, never beyond the root)
 * that signs leaves. EC: P-256 with ECDSA-SHA256; RSA: 2048 (or 3072) bits with RSASSA-PKCS1-v1_5 SHA-256.
 */
export async function createCa(opts: CreateCaOptions): Promise<CaFiles> {
  const name = opts.name.trim();
  if (name === '' || name.length > 50) throw new PkiError('the CA name must be 1 to 50 characters');
  const start = floorToSecond(opts.now - CA_BACKDATE);

  const root = await generateCaKeys(opts);
  const rootSki = await x509.SubjectKeyIdentifierExtension.create(root.keys.publicKey);
  const rootName = caName(`${name} Root CA`, name);
  const rootNotAfter = addYears(start, 20);
  const rootCert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: rootName,
    issuer: rootName,
    notBefore: new Date(start),
    notAfter: rootNotAfter,
    publicKey: root.keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: root.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      rootSki,
    ],
  });

  const inter = await generateCaKeys(opts);
  const interNotAfter = addYears(start, 10);
  const interCert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: caName(`${name} Intermediate CA`, name),
    issuer: rootName,
    notBefore: new Date(start),
    notAfter: interNotAfter.getTime() > rootNotAfter.getTime() ? rootNotAfter : interNotAfter,
    publicKey: inter.keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: root.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(inter.keys.publicKey),
      new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
    ],
  });

  return {
    rootCertPem: derToPem(rootCert.rawData, 'CERTIFICATE'),
    rootKeyPem: await exportPkcs8(root.keys.privateKey),
    intermediateCertPem: derToPem(interCert.rawData, 'CERTIFICATE'),
    intermediateKeyPem: await exportPkcs8(inter.keys.privateKey),
  };
}

function readCaKey(pem: string, which: string): KeyObject {
  try {
    return readPrivateKey(pem).key;
  } catch (err) {
    if (err instanceof PkiError) throw new PkiError(`the ${which} key: ${err.message}`);
    throw err;
  }
}

function readCertificate(pem: string, which: string): x509.X509Certificate {
  const block = splitPemBlocks(pem, 'CERTIFICATE')[0];
  if (block === undefined) throw new PkiError(`the ${which} certificate is not a PEM certificate`);
  return parseCertificateDer(pemToDer(block), `the ${which} certificate`);
}

function spkiOfKeyObject(k: KeyObject): SpkiKey {
  const publicKey = k.type === 'private' ? createPublicKey(k) : k;
  if (publicKey.type !== 'public') throw new PkiError('the leaf key must be an RSA or EC key pair');
  const key = describeKey(publicKey);
  if (key.algorithm === 'RSA' && key.size < 2048)
    throw new PkiError('the leaf RSA key must have at least 2048 bits');
  if (key.algorithm === 'EC' && key.size !== 256 && key.size !== 384) {
    throw new PkiError('the leaf EC key must be on P-256 or P-384');
  }
  return describeSpki(publicKey.export({ type: 'spki', format: 'der' }));
}

/** The subject Name of a certificate, exactly as it is encoded there (RFC 5280 §4.1). */
function subjectNameDer(cert: x509.X509Certificate): Buffer {
  const der = Buffer.from(cert.rawData);
  const outer = readTlv(der);
  const tbs = outer ? readTlv(der, outer.start, outer.end) : undefined;
  if (!tbs) throw new PkiError('the intermediate certificate cannot be read');
  let at = tbs.start;
  const next = () => {
    const begin = at;
    const t = readTlv(der, at, tbs.end);
    if (!t) throw new PkiError('the intermediate certificate cannot be read');
    at = t.end;
    return { ...t, begin };
  };
  let field = next();
  if (field.tag === 0xa0) field = next(); // [0] version, then the serial
  next(); // signature algorithm
  next(); // issuer
  next(); // validity
  const subject = next();
  if (subject.tag !== 0x30) throw new PkiError('the intermediate certificate cannot be read');
  return Buffer.from(der.subarray(subject.begin, subject.end));
}

/** A name the leaf may carry: an ASCII DNS name (A-labels), optionally with one leading '*.' label. */
const DNS_NAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** The loaded signing CA: the intermediate's key, ready to issue leaves. */
export class CertificateAuthority {
  private readonly template: LeafTemplate;
  private readonly signers: SignerPool;

  private constructor(
    private readonly intermediate: x509.X509Certificate,
    signingKey: KeyObject,
    private readonly rootPemText: string,
    private readonly intermediatePemText: string,
    interSkiHex: string,
    signingThreads: number,
  ) {
    const params = {
      issuerNameDer: subjectNameDer(intermediate),
      issuerCommonName: lastField(intermediate.subjectName, 'CN') ?? '',
      authorityKeyId: Buffer.from(interSkiHex, 'hex'),
    };
    this.template = new LeafTemplate({ ...params, signingKey });
    this.signers = new SignerPool(
      signingThreads,
      { ...params, keyPkcs8Der: signingKey.export({ type: 'pkcs8', format: 'der' }) },
      this.template,
    );
  }

  /** Signing threads issueLeaves spreads its work over (0: it signs on the calling thread). */
  get signingThreads(): number {
    return this.signers.threadCount;
  }

  /** Leaves signed on the signing threads and on the calling thread so far. */
  get signed(): { threads: number; here: number } {
    return { ...this.signers.signed };
  }

  /** Ends the signing threads. */
  close(): Promise<void> {
    return this.signers.close();
  }

  /**
   * Loads a CA from its files: checks that the intermediate key matches the intermediate certificate, that
   * the intermediate is a CA certificate issued by the root, and (when given) that the root key matches the
   * root. Throws PkiError naming what is wrong.
   */
  static async load(
    files: CaFiles,
    options: { signingThreads?: number } = {},
  ): Promise<CertificateAuthority> {
    const root = readCertificate(files.rootCertPem, 'root');
    const intermediate = readCertificate(files.intermediateCertPem, 'intermediate');
    const interKey = readCaKey(files.intermediateKeyPem, 'intermediate');

    const interPublic = certificatePublicKey(intermediate);
    if (!sameKey(interKey, interPublic)) {
      throw new PkiError('the intermediate key does not match the intermediate certificate');
    }
    if (files.rootKeyPem.trim() !== '') {
      const rootKey = readCaKey(files.rootKeyPem, 'root');
      if (!sameKey(rootKey, certificatePublicKey(root))) {
        throw new PkiError('the root key does not match the root certificate');
      }
    }

    let issuedByRoot = false;
    try {
      issuedByRoot =
        sameName(intermediate.issuerName, root.subjectName) &&
        (await intermediate.verify({ publicKey: root.publicKey, signatureOnly: true }));
    } catch {
      issuedByRoot = false;
    }
    if (!issuedByRoot) throw new PkiError('the intermediate certificate was not issued by the root');

    const bc = intermediate.getExtension(x509.BasicConstraintsExtension);
    if (!bc || !bc.ca) throw new PkiError('the intermediate certificate is not a CA certificate');

    // The key must be one the leaf profile can sign with (RSA, or ECDSA on P-256 or P-384).
    webKeyParams(interKey, 'the CA key');
    let interSki = intermediate.getExtension<x509.SubjectKeyIdentifierExtension>(OID_SKI)?.keyId;
    if (!interSki) {
      interSki = Buffer.from(await intermediate.publicKey.getKeyIdentifier()).toString('hex');
    }
    return new CertificateAuthority(
      intermediate,
      interKey,
      derToPem(root.rawData, 'CERTIFICATE'),
      derToPem(intermediate.rawData, 'CERTIFICATE'),
      interSki,
      options.signingThreads ?? 0,
    );
  }

  /** The root certificate, PEM. */
  get rootPem(): string {
    return this.rootPemText;
  }

  /** The intermediate certificate, PEM: what follows a leaf in the chain. */
  get chainPem(): string {
    return this.intermediatePemText;
  }

  get intermediateNotAfter(): number {
    return this.intermediate.notAfter.getTime();
  }

  /**
   * Issues a TLS server certificate: subject CN = the first name of at most 64 characters (else an empty
   * subject and a critical SAN), a SAN dNSName for every name, EKU serverAuth, KeyUsage digitalSignature
   * (plus keyEncipherment for an RSA key), BasicConstraints CA:FALSE, AKI = the intermediate's SKI, SKI of
   * the leaf key, a random 127-bit serial. The validity is cut to whole seconds and to the intermediate's own
   * validity; the returned times are the ones written. Synchronous: a few tens of microseconds, most of it
   * the signature.
   */
  issueLeafSync(req: LeafRequest): IssuedLeaf {
    return this.complete(this.template.build(this.fields(req)));
  }

  /**
   * Issues many leaves at once, signed on the signing threads when there are any. Each result is the leaf,
   * or the PkiError that refused its request; one bad request does not fail the others.
   */
  async issueLeaves(reqs: LeafRequest[]): Promise<Array<IssuedLeaf | Error>> {
    const results: Array<IssuedLeaf | Error> = new Array<IssuedLeaf | Error>(reqs.length);
    const fields: LeafFields[] = [];
    const at: number[] = [];
    reqs.forEach((req, i) => {
      try {
        fields.push(this.fields(req));
        at.push(i);
      } catch (err) {
        results[i] = err as Error;
      }
    });
    const built = await this.signers.build(fields);
    built.forEach((leaf, k) => {
      results[at[k]!] = leaf instanceof Error ? leaf : this.complete(leaf);
    });
    return results;
  }

  private complete(leaf: ReturnType<LeafTemplate['build']>): IssuedLeaf {
    return { ...leaf, fullChainPem: leaf.leafPem + this.intermediatePemText };
  }

  /** Checks a request against the profile and turns it into the leaf's variable fields. */
  private fields(req: LeafRequest): LeafFields {
    const names: string[] = [];
    for (const raw of req.names) {
      const n = raw.trim().toLowerCase().replace(/\.$/, '');
      if (n.length > 253 || !DNS_NAME.test(n))
        throw new PkiError(`the name ${JSON.stringify(raw)} is not a valid DNS name`);
      if (!names.includes(n)) names.push(n);
    }
    if (names.length === 0) throw new PkiError('a certificate needs at least one name');

    const key = 'spki' in req.publicKey ? req.publicKey : spkiOfKeyObject(req.publicKey);

    const notBefore = Math.max(floorToSecond(req.notBefore), this.intermediate.notBefore.getTime());
    const notAfter = Math.min(floorToSecond(req.notAfter), this.intermediate.notAfter.getTime());
    if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter) || notAfter <= notBefore) {
      throw new PkiError('the validity period is empty or outside the CA certificate validity');
    }
    return {
      serial: randomSerial(),
      notBefore,
      notAfter,
      names,
      spki: key.spki,
      keyAlgorithm: key.keyAlgorithm,
      keySize: key.keySize,
    };
  }

  /** issueLeafSync as a promise (the Issuer interface is asynchronous; an upstream CA will be). */
  async issueLeaf(req: LeafRequest): Promise<IssuedLeaf> {
    return this.issueLeafSync(req);
  }
}
