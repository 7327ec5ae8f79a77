/**
 * A small DER writer (X.690): enough to assemble a certificate from pre-encoded parts and a few variable
 * fields without a general ASN.1 library. Every function returns complete TLVs as Buffers.
 */

/** The DER length octets of a content length: short form below 128, else 0x80 + n followed by n octets. */
export function derLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad DER length ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** One TLV: a single-octet tag, the definite length and the contents (given as parts, joined in order). */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  let length = 0;
  for (const c of content) length += c.length;
  return Buffer.concat([Buffer.from([tag]), derLength(length), ...content], 1 + lengthSize(length) + length);
}

function lengthSize(length: number): number {
  if (length < 0x80) return 1;
  let n = 1;
  for (let l = length; l > 0; l = Math.floor(l / 256)) n++;
  return n;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export const sequence = (...content: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, ...content);

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`bad OID ${dotted}`);
    return Number(a);
  });
  if (arcs.length < 2) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  const base128 = (n: number) => {
    const bytes = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) bytes.unshift((n & 0x7f) | 0x80);
    out.push(...bytes);
  };
  base128(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) base128(arc);
  return tlv(TAG.OID, Buffer.from(out));
}

/** A positive INTEGER from its unsigned big-endian magnitude (a 0x00 is prepended when the top bit is set). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const m = magnitude.subarray(start);
  return (m[0] ?? 0) & 0x80 ? tlv(TAG.INTEGER, Buffer.from([0]), m) : tlv(TAG.INTEGER, m);
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * RFC 5280 §4.1.2.5 Time: UTCTime (YYMMDDHHMMSSZ) for years up to 2049, GeneralizedTime (YYYYMMDDHHMMSSZ)
 * from 2050 on; whole seconds (a fraction is dropped).
 */
export function x509Time(ms: number): Buffer {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const rest =
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds()) +
    'Z';
  if (year < 1950 || year > 9999) throw new RangeError(`the year ${year} cannot be written in a certificate`);
  return year <= 2049
    ? tlv(TAG.UTC_TIME, Buffer.from(two(year % 100) + rest, 'latin1'))
    : tlv(TAG.GENERALIZED_TIME, Buffer.from(String(year) + rest, 'latin1'));
}

/** An Extension (RFC 5280 §4.1): extnID, critical only when true (DER omits the default), extnValue. */
export function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  return critical
    ? sequence(oid(id), Buffer.from([TAG.BOOLEAN, 1, 0xff]), tlv(TAG.OCTET_STRING, value))
    : sequence(oid(id), tlv(TAG.OCTET_STRING, value));
}

/** One DER element: its tag, where its contents start and where it ends (exclusive). */
export interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** Reads the DER element at `offset` (definite lengths up to 4 octets); undefined when it does not fit in `der`. */
export function readTlv(der: Uint8Array, offset = 0, limit = der.length): Tlv | undefined {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) return undefined;
  let length: number;
  let start: number;
  if (first < 0x80) {
    length = first;
    start = offset + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || offset + 2 + n > limit) return undefined;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + (der[offset + 2 + k] ?? 0);
    start = offset + 2 + n;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}
