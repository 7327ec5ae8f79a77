import { createHash, createHmac } from 'node:crypto';
import { percentEncode } from './encoding.js';

export const V3_ALGORITHMS = {
  'ACS3-HMAC-SHA256': 'sha256',
  'ACS3-HMAC-SM3': 'sm3',
} as const;
export type V3Algorithm = keyof typeof V3_ALGORITHMS;

export interface V3Authorization {
  algorithm: V3Algorithm;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=a;b,Signature=hex`; `{ error }` when malformed. */
export function parseV3Authorization(header: string): V3Authorization | { error: string } {
  const m = /^\s*(\S+)\s+(.*)$/.exec(header);
  if (!m) return { error: 'the Authorization header has no credentials' };
  const algorithm = m[1]!;
  if (!Object.hasOwn(V3_ALGORITHMS, algorithm))
    return { error: `the signature algorithm "${algorithm}" is not supported` };
  const fields = new Map<string, string>();
  for (const part of m[2]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId) return { error: 'Credential is missing from the Authorization header' };
  if (!signedHeaders) return { error: 'SignedHeaders is missing from the Authorization header' };
  if (!signature) return { error: 'Signature is missing from the Authorization header' };
  return {
    algorithm: algorithm as V3Algorithm,
    accessKeyId,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature,
  };
}

export function v3CanonicalQuery(query: Iterable<[string, string]>): string {
  const pairs = [...query];
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join('&');
}

export function v3CanonicalRequest(input: {
  method: string;
  path: string;
  query: Iterable<[string, string]>;
  headers: (name: string) => string | undefined;
  signedHeaders: string[];
  payloadHash: string;
}): string {
  const canonicalHeaders = input.signedHeaders
    .map((h) => `${h}:${(input.headers(h) ?? '').trim()}\n`)
    .join('');
  return [
    input.method.toUpperCase(),
    input.path,
    v3CanonicalQuery(input.query),
    canonicalHeaders,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function v3Hash(algorithm: V3Algorithm, data: string | Buffer): string {
  return createHash(V3_ALGORITHMS[algorithm]).update(data).digest('hex');
}

export function v3StringToSign(algorithm: V3Algorithm, canonicalRequest: string): string {
  return `${algorithm}\n${v3Hash(algorithm, canonicalRequest)}`;
}

export function v3Sign(algorithm: V3Algorithm, secret: string, stringToSign: string): string {
  return createHmac(V3_ALGORITHMS[algorithm], secret).update(stringToSign, 'utf8').digest('hex');
}
