import { createHmac } from 'node:crypto';
import { percentEncode } from './encoding.js';

/** StringToSign of the HMAC-SHA1 scheme (protocol.md section 2): every parameter but Signature, sorted. */
export function v1StringToSign(method: string, params: Iterable<[string, string]>): string {
  const pairs = [...params].filter(([n]) => n !== 'Signature');
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = pairs.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

export function v1Sign(secret: string, stringToSign: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
}
