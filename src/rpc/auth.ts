import { timingSafeEqual } from 'node:crypto';
import { findAccessKey } from '../domain/accounts.js';
import type { Services } from '../domain/context.js';
import { Errors } from './errors.js';
import type { DecodedRequest } from './params.js';
import { v1Sign, v1StringToSign } from './signature-v1.js';
import {
  parseV3Authorization,
  v3CanonicalRequest,
  v3Hash,
  v3Sign,
  v3StringToSign,
  type V3Algorithm,
} from './signature-v3.js';

export const TIMESTAMP_WINDOW_MS = 15 * 60_000;
export const NONCE_TTL_MS = 15 * 60_000;
const MAX_NONCE_LENGTH = 256;

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  decoded: DecodedRequest;
}

export interface Authenticated {
  scheme: 'V1' | 'V3';
  accessKeyId: string;
  accountUid: number;
  action: string;
  version: string;
}

const V3_REQUIRED_SIGNED = [
  'host',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
];

function header(req: RawRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Parses `YYYY-MM-DDThh:mm:ss[.fff]Z`; the name is for the error message. */
export function parseTimestamp(name: string, text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) throw Errors.timestampFormat(name, text);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    throw Errors.timestampFormat(name, text);
  }
  return t + (m[7] ? Math.floor(Number('0.' + m[7]) * 1000) : 0);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function checkKeyTimeNonce(
  s: Services,
  accessKeyId: string,
  timestampName: string,
  timestamp: string,
  nonce: string,
  verify: (secret: string) => void,
): Promise<number> {
  // Order of checks: key known and active, timestamp well-formed and fresh, signature, then the nonce
  // (recorded only once the signature is proven, so nobody can burn another key's nonces). No key id holds
  // a NUL, and no database text can (PostgreSQL refuses it): such an id is unknown without a lookup.
  const key = accessKeyId.includes('\0') ? undefined : await findAccessKey(s, accessKeyId);
  if (!key) throw Errors.accessKeyNotFound();
  if (!key.active) throw Errors.accessKeyInactive();
  const t = parseTimestamp(timestampName, timestamp);
  const now = s.clock.now();
  if (Math.abs(now - t) > TIMESTAMP_WINDOW_MS) throw Errors.timestampExpired(timestamp);
  verify(key.secret);
  const nonceName = timestampName === 'Timestamp' ? 'SignatureNonce' : 'x-acs-signature-nonce';
  if (nonce === '') throw Errors.missingParameter(nonceName);
  if (nonce.length > MAX_NONCE_LENGTH)
    throw Errors.invalidParameter(nonceName, `it is longer than ${MAX_NONCE_LENGTH} characters`);
  if (nonce.includes('\0')) throw Errors.invalidParameter(nonceName, 'it contains a NUL character');
  // Remember the nonce for as long as its timestamp would still be accepted (a request stamped in the
  // future stays acceptable until its own time plus the window).
  if (!(await s.store.nonces.remember(accessKeyId, nonce, now, Math.max(now, t) + NONCE_TTL_MS)))
    throw Errors.nonceUsed();
  return key.accountUid;
}

async function authenticateV1(s: Services, req: RawRequest): Promise<Authenticated> {
  const p = req.decoded.params;
  for (const name of [
    'AccessKeyId',
    'Signature',
    'SignatureMethod',
    'SignatureNonce',
    'Timestamp',
    'Action',
    'Version',
  ]) {
    if (!p.get(name)) throw Errors.missingParameter(name);
  }
  if (p.has('SecurityToken')) throw Errors.securityTokenUnsupported();
  const method = p.get('SignatureMethod')!;
  if (method.toUpperCase() !== 'HMAC-SHA1') throw Errors.invalidSignatureMethod(method);
  const version = p.get('SignatureVersion');
  if (version !== undefined && version !== '1.0')
    throw Errors.invalidParameter('SignatureVersion', 'only 1.0 is supported');
  const accessKeyId = p.get('AccessKeyId')!;
  const accountUid = await checkKeyTimeNonce(
    s,
    accessKeyId,
    'Timestamp',
    p.get('Timestamp')!,
    p.get('SignatureNonce')!,
    (secret) => {
      const sts = v1StringToSign(req.method, p);
      if (!safeEqual(v1Sign(secret, sts), p.get('Signature')!)) throw Errors.signatureDoesNotMatch(sts);
    },
  );
  return { scheme: 'V1', accessKeyId, accountUid, action: p.get('Action')!, version: p.get('Version')! };
}

async function authenticateV3(s: Services, req: RawRequest, authorization: string): Promise<Authenticated> {
  const auth = parseV3Authorization(authorization);
  if ('error' in auth) throw Errors.incompleteSignature(auth.error);
  for (const h of V3_REQUIRED_SIGNED) {
    if (!auth.signedHeaders.includes(h)) throw Errors.incompleteSignature(`the header ${h} must be signed`);
  }
  for (const h of auth.signedHeaders) {
    if (header(req, h) === undefined)
      throw Errors.incompleteSignature(`the signed header ${h} is missing from the request`);
  }
  if (header(req, 'x-acs-security-token') !== undefined) throw Errors.securityTokenUnsupported();
  if (
    req.body.length > 0 &&
    header(req, 'content-type') !== undefined &&
    !auth.signedHeaders.includes('content-type')
  ) {
    throw Errors.incompleteSignature('the header content-type must be signed when the request has a body');
  }
  const alg: V3Algorithm = auth.algorithm;
  const accountUid = await checkKeyTimeNonce(
    s,
    auth.accessKeyId,
    'x-acs-date',
    header(req, 'x-acs-date')!,
    header(req, 'x-acs-signature-nonce')!,
    (secret) => {
      const payloadHash = header(req, 'x-acs-content-sha256')!;
      if (!safeEqual(payloadHash.toLowerCase(), v3Hash(alg, req.body)))
        throw Errors.contentHashDoesNotMatch();
      const canonical = v3CanonicalRequest({
        method: req.method,
        path: req.path,
        query: req.decoded.query,
        headers: (h) => header(req, h),
        signedHeaders: auth.signedHeaders,
        payloadHash,
      });
      const sts = v3StringToSign(alg, canonical);
      if (!safeEqual(v3Sign(alg, secret, sts), auth.signature.toLowerCase()))
        throw Errors.signatureDoesNotMatch(sts);
    },
  );
  return {
    scheme: 'V3',
    accessKeyId: auth.accessKeyId,
    accountUid,
    action: header(req, 'x-acs-action')!,
    version: header(req, 'x-acs-version')!,
  };
}

/** Authenticates a request by whichever scheme it carries (protocol.md 1.5). */
export async function authenticate(s: Services, req: RawRequest): Promise<Authenticated> {
  const authorization = header(req, 'authorization');
  if (authorization !== undefined) {
    if (/^\s*ACS3-/.test(authorization)) return authenticateV3(s, req, authorization);
    const alg = authorization.trim().split(/\s+/)[0] ?? '';
    throw Errors.incompleteSignature(
      `the signature algorithm "${alg.slice(0, 40)}" is not supported (use ACS3-HMAC-SHA256 or HMAC-SHA1)`,
    );
  }
  return authenticateV1(s, req);
}
