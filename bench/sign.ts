/**
 * Request signing for the load generator (the test helpers' independent signer, not src/) so that the benchmark
 * signs exactly as an outside client would: V1 (HMAC-SHA1, everything in the query) and ACS3-HMAC-SHA256
 * (signed headers). Every call makes a fresh nonce and timestamp.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  canonicalQuery,
  enc,
  isoNow,
  signAcs3Headers,
  v1Params,
  v1Signature,
  type SigningKey,
} from '../test/helpers/signing.js';

export type Key = SigningKey;

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SignedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
}

/** A V1-signed GET: common parameters, `params`, and Signature in the query. */
export function signV1(key: Key, action: string, params: Record<string, string>): SignedRequest {
  const p = v1Params(key, action, params);
  const query = canonicalQuery(p);
  const signature = v1Signature('GET', p, key.accessKeySecret);
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
  signAcs3Headers(key, headers, query);
  const qs = canonicalQuery(query);
  return { method: 'POST', path: qs ? `/?${qs}` : '/', headers };
}
