/**
 * Hand-rolled request signing for raw HTTP tests, written independently of src/ so that the server's
 * verifiers are checked against a second implementation (and so tests can send what no SDK would).
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Credentials } from './server.js';
import { canonicalQuery as sorted, enc, isoNow, signAcs3Headers, v1Params, v1Signature } from './signing.js';

export { isoNow, v1Params, v1Signature };

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  json: Record<string, unknown>;
}

async function send(url: string, init: RequestInit): Promise<RawResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // XML or empty bodies are inspected through `text`.
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

/**
 * POSTs `body` to `/` with node:http, optionally as a chunked body without Content-Length (as the Tea SDK
 * sends form bodies), in two writes.
 */
export function rawPost(
  endpoint: string,
  headers: Record<string, string>,
  body: string,
  chunked: boolean,
  path = '/',
): Promise<RawResponse> {
  const [host, port] = endpoint.split(':');
  const bytes = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port: Number(port),
        method: 'POST',
        path,
        headers: {
          ...headers,
          ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(bytes.length) }),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // XML or empty bodies are inspected through `text`.
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            text,
            json,
          });
        });
      },
    );
    req.on('error', reject);
    const half = Math.floor(bytes.length / 2);
    req.write(bytes.subarray(0, half));
    req.end(bytes.subarray(half));
  });
}

/** Sends a V1-signed GET (everything in the query) or POST (everything in a form body). */
export async function v1Request(
  endpoint: string,
  key: Credentials,
  params: Record<string, string>,
  opts: { method?: 'GET' | 'POST'; signature?: string; signWith?: string } = {},
): Promise<RawResponse> {
  const method = opts.method ?? 'GET';
  const signature = opts.signature ?? v1Signature(method, params, opts.signWith ?? key.accessKeySecret);
  const qs = sorted(params) + '&Signature=' + enc(signature);
  if (method === 'GET') return send(`http://${endpoint}/?${qs}`, { method });
  return send(`http://${endpoint}/`, {
    method,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: qs,
  });
}

/** Sends an ACS3-HMAC-SHA256 request; `mutate` may alter headers after signing. */
export async function v3Request(
  endpoint: string,
  key: Credentials,
  action: string,
  query: Record<string, string> = {},
  opts: {
    body?: string;
    contentType?: string;
    nonce?: string;
    date?: string;
    version?: string;
    mutate?: (headers: Record<string, string>) => void;
  } = {},
): Promise<RawResponse> {
  const body = opts.body ?? '';
  const headers: Record<string, string> = {
    host: endpoint,
    'x-acs-action': action,
    'x-acs-version': opts.version ?? '2020-04-07',
    'x-acs-date': opts.date ?? isoNow(),
    'x-acs-signature-nonce': opts.nonce ?? randomUUID(),
    'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
  };
  if (opts.contentType) headers['content-type'] = opts.contentType;
  signAcs3Headers(key, headers, query);
  opts.mutate?.(headers);
  const qs = Object.keys(query)
    .map((k) => `${enc(k)}=${enc(query[k]!)}`)
    .join('&');
  const { host: _host, ...sendHeaders } = headers;
  return send(`http://${endpoint}/${qs ? '?' + qs : ''}`, {
    method: 'POST',
    headers: sendHeaders,
    body: body || undefined,
  });
}
