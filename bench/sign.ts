/**
 * Request signing for the load generator, written here (not imported from src/) so that the benchmark
 * signs exactly as an outside client would: V1 (HMAC-SHA1, everything in the query) and ACS3-HMAC-SHA256
 * (signed headers). Every call makes a fresh nonce and timestamp.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';

export interface Key {
  accessKeyId: string;
  accessKeySecret: string;
}

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const canonicalQuery = (p: Record<string, string>) =>
  Object.keys(p)
    .sort()
    .map((k) => `${enc(k)}=${enc(p[k]!)}`)
    .join('&');
const isoNow = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SignedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
}

/** A V1-signed GET: common parameters, `params`, and Signature in the query. */
export function signV1(key: Key, action: string, params: Record<string, string>): SignedRequest {
  const p: Record<string, string> = {
    AccessKeyId: key.accessKeyId,
    Action: action,
    Format: 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: isoNow(),
    Version: '2020-04-07',
    ...params,
  };
  const query = canonicalQuery(p);
  const signature = createHmac('sha1', key.accessKeySecret + '&')
    .update(`GET&${enc('/')}&${enc(query)}`)
    .digest('base64');
  return { method: 'GET', path: `/?${query}&Signature=${enc(signature)}`, headers: {} };
}

/** An ACS3-HMAC-SHA256 POST with `query` in the URL and an empty body. */
export function signAcs3(
  key: Key,
  host: string,
  action: string,
  query: Record<string, string>,
): SignedRequest {
  const headers: Record<string, string> = {
    host,
    'x-acs-action': action,
    'x-acs-content-sha256': EMPTY_SHA256,
    'x-acs-date': isoNow(),
    'x-acs-signature-nonce': randomUUID(),
    'x-acs-version': '2020-04-07',
  };
  const names = Object.keys(headers).sort();
  const qs = canonicalQuery(query);
  const canonical = [
    'POST',
    '/',
    qs,
    names.map((n) => `${n}:${headers[n]!.trim()}\n`).join(''),
    names.join(';'),
    EMPTY_SHA256,
  ].join('\n');
  const sts = 'ACS3-HMAC-SHA256\n' + createHash('sha256').update(canonical).digest('hex');
  const signature = createHmac('sha256', key.accessKeySecret).update(sts).digest('hex');
  headers['authorization'] =
    `ACS3-HMAC-SHA256 Credential=${key.accessKeyId},SignedHeaders=${names.join(';')},Signature=${signature}`;
  return { method: 'POST', path: qs ? `/?${qs}` : '/', headers };
}
