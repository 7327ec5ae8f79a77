import { decodePairs, DecodeError } from './encoding.js';

/** The request parameters: the query merged with a form body. A name may appear only once in all. */
export type Params = ReadonlyMap<string, string>;

export interface DecodedRequest {
  /** Query parameters alone, as the ACS3 canonical query needs them. */
  query: Array<[string, string]>;
  /** Query and form-body parameters merged. */
  params: Map<string, string>;
}

export function isFormBody(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** More parameters than any action takes (Tags.N pairs included) is a malformed request. */
export const MAX_PARAMETERS = 500;

export function decodeRequest(
  rawUrl: string,
  contentType: string | undefined,
  body: Buffer | undefined,
): DecodedRequest {
  const q = rawUrl.indexOf('?');
  const query = decodePairs(q === -1 ? '' : rawUrl.slice(q + 1));
  const params = new Map<string, string>();
  const add = (name: string, value: string) => {
    if (params.has(name)) throw new DecodeError(name, 'the parameter is given more than once');
    if (params.size >= MAX_PARAMETERS)
      throw new DecodeError('(request)', `more than ${MAX_PARAMETERS} parameters`);
    params.set(name, value);
  };
  for (const [n, v] of query) add(n, v);
  if (body && body.length > 0 && isFormBody(contentType)) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new DecodeError('(request body)', 'the form body is not valid UTF-8');
    }
    for (const [n, v] of decodePairs(text)) add(n, v);
  }
  return { query, params };
}
