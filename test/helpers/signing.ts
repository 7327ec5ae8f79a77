/**
 * Client-side request signing, written independently of src/ so the server's verifiers are checked
 * against a second implementation. Used by the raw HTTP test helpers and by the benchmark's load generator.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';

export interface SigningKey {
  accessKeyId: string;
  accessKeySecret: string;
}

/** RFC 3986 percent-encoding with upper-case hex, as both schemes define it. */
export const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

/** Parameters sorted by name, each `name=value` encoded, joined with `&`. */
export const canonicalQuery = (p: Record<string, string>) =>
  Object.keys(p)
    .sort()
    .map((k) => `${enc(k)}=${enc(p[k]!)}`)
    .join('&');

/** `YYYY-MM-DDThh:mm:ssZ`, optionally shifted. */
export const isoNow = (offsetMs = 0) =>
  new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The HMAC-SHA1 (V1) signature of every parameter but Signature. */
export function v1Signature(method: string, params: Record<string, string>, secret: string): string {
  const sts = `${method}&${enc('/')}&${enc(canonicalQuery(params))}`;
  return createHmac('sha1', secret + '&')
    .update(sts)
    .digest('base64');
}

/**
 * Signs a POST to `/` with ACS3-HMAC-SHA256: every header given (host, x-acs-*, content-type) is signed,
 * and `authorization` is added to `headers`.
 */
export function signAcs3Headers(
  key: SigningKey,
  headers: Record<string, string>,
  query: Record<string, string>,
): void {
  const names = Object.keys(headers).sort();
  const canonical = [
    'POST',
    '/',
    canonicalQuery(query),
    names.map((n) => `${n}:${headers[n]!.trim()}\n`).join(''),
    names.join(';'),
    headers['x-acs-content-sha256'],
  ].join('\n');
  const sts = 'ACS3-HMAC-SHA256\n' + createHash('sha256').update(canonical).digest('hex');
  const signature = createHmac('sha256', key.accessKeySecret).update(sts).digest('hex');
  headers['authorization'] =
    `ACS3-HMAC-SHA256 Credential=${key.accessKeyId},SignedHeaders=${names.join(';')},Signature=${signature}`;
}

/** V1 (HMAC-SHA1) common parameters plus `extra`; `override` replaces or (with undefined) removes any of them. */
export function v1Params(
  key: SigningKey,
  action: string,
  extra: Record<string, string> = {},
  override: Record<string, string | undefined> = {},
): Record<string, string> {
  const p: Record<string, string | undefined> = {
    AccessKeyId: key.accessKeyId,
    Action: action,
    Format: 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: isoNow(),
    Version: '2020-04-07',
    ...extra,
    ...override,
  };
  for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
  return p as Record<string, string>;
}
