const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;

/** Percent-encoding as both Alibaba signature schemes define it (RFC 3986 unreserved set, upper-case hex). */
export function percentEncode(value: string): string {
  // Most parameter names and many values need no encoding at all: skip the two passes.
  if (UNRESERVED_ONLY.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/** Thrown when a query string or form body cannot be decoded; rpc turns it into InvalidParameter. */
export class DecodeError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

function decodeComponent(raw: string, parameter: string): string {
  const s = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new DecodeError(parameter, 'it is not valid percent-encoded UTF-8');
  }
}

/**
 * Decodes `a=1&b=2` (query string or application/x-www-form-urlencoded body) into ordered pairs.
 * `+` means space (no official client sends a literal plus), empty pieces are skipped, a name without
 * `=` has the empty value.
 */
export function decodePairs(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (text === '') return pairs;
  for (const piece of text.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawName = eq === -1 ? piece : piece.slice(0, eq);
    const rawValue = eq === -1 ? '' : piece.slice(eq + 1);
    const name = decodeComponent(rawName, rawName);
    if (name === '') throw new DecodeError('(empty name)', 'a parameter has an empty name');
    pairs.push([name, decodeComponent(rawValue, name)]);
  }
  return pairs;
}
