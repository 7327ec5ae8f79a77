import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  type KeyObject,
} from 'node:crypto';
import { PkiError } from './errors.js';
import { derToPem, normalisePemText, readPemBlocks } from './pem.js';
import type { webcrypto } from './x509.js';

export type KeyAlgorithm = 'RSA' | 'EC';

export interface GeneratedKeyPair {
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`) for RSA, SEC1 (`BEGIN EC PRIVATE KEY`) for EC; '\n' endings. */
  privateKeyPem: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

const RSA_SIZES = [2048, 3072, 4096];
const EC_CURVES: Record<number, string> = { 256: 'prime256v1', 384: 'secp384r1' };

/** Curve names as node:crypto reports them, with their size in bits. */
const CURVE_SIZES: Record<string, number> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
  secp224r1: 224,
  prime192v1: 192,
};

/** The names clients know, for error messages. */
const KEY_TYPE_NAMES: Record<string, string> = {
  ed25519: 'Ed25519',
  ed448: 'Ed448',
  x25519: 'X25519',
  x448: 'X448',
  dsa: 'DSA',
  dh: 'DH',
  'rsa-pss': 'RSA-PSS',
};

export function keyTypeName(type: string | undefined): string {
  if (type === undefined) return 'unknown';
  return KEY_TYPE_NAMES[type] ?? type.toUpperCase();
}

function generate(type: 'rsa' | 'ec', options: { modulusLength: number } | { namedCurve: string }) {
  return new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolve, reject) => {
    // The callback form runs in libuv's thread pool: RSA generation never blocks the event loop.
    const cb = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) => {
      if (err) reject(err);
      else resolve({ publicKey, privateKey });
    };
    if (type === 'rsa') {
      generateKeyPairCallback(
        'rsa',
        { ...(options as { modulusLength: number }), publicExponent: 0x10001 },
        cb,
      );
    } else {
      generateKeyPairCallback('ec', options as { namedCurve: string }, cb);
    }
  });
}

/**
 * Generates a key pair off the event loop. RSA: 2048 (default), 3072 or 4096 bits. EC: 256 (P-256, default)
 * or 384 (P-384).
 */
export async function generateKeyPair(algorithm: KeyAlgorithm, size?: number): Promise<GeneratedKeyPair> {
  if (algorithm === 'RSA') {
    const bits = size ?? 2048;
    if (!RSA_SIZES.includes(bits)) throw new PkiError(`RSA keys can be 2048, 3072 or 4096 bits, not ${bits}`);
    const { publicKey, privateKey } = await generate('rsa', { modulusLength: bits });
    const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    return { privateKeyPem: privateKeyPem.replace(/\r\n/g, '\n'), publicKey, privateKey };
  }
  if (algorithm === 'EC') {
    const bits = size ?? 256;
    const namedCurve = EC_CURVES[bits];
    if (namedCurve === undefined)
      throw new PkiError(`EC keys can be 256 (P-256) or 384 (P-384) bits, not ${bits}`);
    const { publicKey, privateKey } = await generate('ec', { namedCurve });
    const privateKeyPem = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    return { privateKeyPem: privateKeyPem.replace(/\r\n/g, '\n'), publicKey, privateKey };
  }
  throw new PkiError(`unsupported key algorithm ${String(algorithm)}`);
}

/**
 * The algorithm and size of a public or private key: RSA with its modulus bits, or EC with its curve size
 * (256 for P-256 and secp256k1, 384 for P-384, 521 for P-521). Other key types throw PkiError; callers that
 * accept only some curves (CSRs: P-256 and P-384) check the curve themselves.
 */
export function describeKey(key: KeyObject): { algorithm: KeyAlgorithm; size: number } {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength;
    if (bits === undefined) throw new PkiError('the RSA key size cannot be read');
    return { algorithm: 'RSA', size: bits };
  }
  if (type === 'ec') {
    const curve = details.namedCurve;
    const size = curve === undefined ? undefined : CURVE_SIZES[curve];
    if (size === undefined)
      throw new PkiError(`the key uses the unsupported curve ${curve ?? '(explicit parameters)'}`);
    return { algorithm: 'EC', size };
  }
  throw new PkiError(`unsupported key algorithm ${keyTypeName(type)}`);
}

/**
 * True when two keys (public or private, in any mix) hold the same public key. Keys of different types or
 * curves are compared in JavaScript first: KeyObject.equals on them leaves an error on OpenSSL's queue that
 * Node then reports from the next, unrelated key operation ("different key types").
 */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  const pa = a.type === 'private' ? createPublicKey(a) : a;
  const pb = b.type === 'private' ? createPublicKey(b) : b;
  if (pa.type !== 'public' || pb.type !== 'public') return false;
  if (pa.asymmetricKeyType !== pb.asymmetricKeyType) return false;
  const da = pa.asymmetricKeyDetails ?? {};
  const db = pb.asymmetricKeyDetails ?? {};
  if (da.namedCurve !== db.namedCurve || da.modulusLength !== db.modulusLength) return false;
  return pa.equals(pb);
}

export interface SigningAlgorithm {
  name: string;
  hash: string;
}

/** How WebCrypto imports a key and signs with it: RSASSA-PKCS1-v1_5 SHA-256, or ECDSA with the curve's hash. */
export function webKeyParams(
  key: KeyObject,
  what: string,
): {
  importParams: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  signing: SigningAlgorithm;
} {
  const { algorithm, size } = describeKey(key);
  if (algorithm === 'EC') {
    if (size !== 256 && size !== 384) throw new PkiError(`${what} must be RSA, or ECDSA on P-256 or P-384`);
    const hash = size === 384 ? 'SHA-384' : 'SHA-256';
    return { importParams: { name: 'ECDSA', namedCurve: `P-${size}` }, signing: { name: 'ECDSA', hash } };
  }
  return {
    importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  };
}

/** The SHA-256 of a key's DER SubjectPublicKeyInfo, 64 upper-case hex digits (ListCsr's KeySha2). */
export function publicKeySha256(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .toUpperCase();
}

export interface PrivateKeyInfo {
  key: KeyObject;
  algorithm: KeyAlgorithm;
  size: number;
  /**
   * The key as one normalised PEM block in the structure it came in, labelled by that structure (what the
   * DER holds, whatever the label said): `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or
   * `EC PRIVATE KEY` (SEC1).
   */
  pem: string;
}

const PRIVATE_KEY_FORMATS = [
  { type: 'pkcs8', label: 'PRIVATE KEY' },
  { type: 'pkcs1', label: 'RSA PRIVATE KEY' },
  { type: 'sec1', label: 'EC PRIVATE KEY' },
] as const;
const NOT_A_KEY = 'the text is not a readable PEM private key';
const ENCRYPTED =
  'the private key is encrypted; give it unencrypted (for example `openssl pkey -in key.pem -out plain.pem`)';

/**
 * Reads one unencrypted private key from PEM text (through the shared PEM reader): PKCS#1, PKCS#8 or SEC1,
 * the structure read from the key itself rather than its label; an `EC PARAMETERS` block and text around
 * the key are ignored. RSA and EC keys only. Every refusal is a PkiError saying why: encrypted, a public key,
 * a certificate, several keys, broken armour, an unsupported algorithm.
 */
export function readPrivateKey(text: string): PrivateKeyInfo {
  const normalised = normalisePemText(text);
  if (
    /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(normalised) ||
    /Proc-Type:\s*4\s*,\s*ENCRYPTED/i.test(normalised)
  )
    throw new PkiError(ENCRYPTED);
  const keys = readPemBlocks(normalised, (label) => label.endsWith('PRIVATE KEY'), NOT_A_KEY);
  if (keys.length > 1) throw new PkiError('the text holds more than one private key');
  const block = keys[0]!;
  if (block.label === 'OPENSSH PRIVATE KEY')
    throw new PkiError('OpenSSH private keys are not accepted; give the key in PEM (PKCS#8, PKCS#1 or SEC1)');
  for (const format of PRIVATE_KEY_FORMATS) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: block.der, format: 'der', type: format.type });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_MISSING_PASSPHRASE') throw new PkiError(ENCRYPTED);
      continue;
    }
    let described;
    try {
      described = describeKey(key);
    } catch (err) {
      if (err instanceof PkiError)
        throw new PkiError(`the private key: ${err.message}; only RSA and EC keys are accepted`);
      throw err;
    }
    return { key, ...described, pem: derToPem(block.der, format.label) };
  }
  throw new PkiError(`${NOT_A_KEY} (the ${block.label} block is not a PKCS#8, PKCS#1 or SEC1 key)`);
}
