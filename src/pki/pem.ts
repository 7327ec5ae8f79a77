import { PkiError } from './errors.js';

/**
 * The one PEM reader. Every PEM input (uploaded certificates and keys, CSRs of applications and of the CSR
 * repository, CA files) goes through it, so each oddity behaves the same everywhere:
 * - a UTF-8 byte-order mark is dropped; CRLF, CR and mixed line endings become '\n';
 * - text before, between and after the blocks is ignored (bag attributes, `openssl x509 -text` dumps);
 * - trailing spaces and tabs, blank lines, odd line lengths, and a body that lost its line breaks (one line,
 *   or spaces in place of breaks) are repaired: the body is re-wrapped at 64 columns;
 * - UTF-16 (or other binary) text is refused as an encoding error;
 * - a block without its END line, or whose body is not base64, is reported as broken PEM armour.
 */

/** One PEM block. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`, `RSA PRIVATE KEY`. */
  label: string;
  /** RFC 1421 header lines (such as `Proc-Type: 4,ENCRYPTED`), in order. */
  headers: string[];
  der: Buffer;
  /** The block normalised: '\n' endings, headers then a blank line, 64-column base64, a final '\n'. */
  pem: string;
}

export interface PemScan {
  blocks: PemBlock[];
  /** Each block that could not be read, with what is wrong with it. */
  broken: Array<{ label: string; message: string }>;
}

const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;
const BEGIN = /-----BEGIN ([A-Z0-9][A-Z0-9 #._-]*?)-----/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Wraps DER bytes as one PEM block: '\n' endings, 64-column base64, a final '\n'. */
export function derToPem(der: Uint8Array | ArrayBuffer, label: string, headers: string[] = []): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  const head = headers.length > 0 ? `${headers.join('\n')}\n\n` : '';
  return `-----BEGIN ${label}-----\n${head}${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER bytes of one normalised PEM block (as scanPem and splitPemBlocks return them). */
export function pemToDer(block: string): Buffer {
  const body = block
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----') && !line.includes(':'))
    .join('');
  return Buffer.from(body, 'base64');
}

/**
 * Checks the text is ASCII-compatible and normalises it: no UTF-8 BOM, '\n' line endings. UTF-16 text (read
 * as UTF-8 or Latin-1 it is full of NUL characters, and its BOM turns into U+FFFD or 'ÿþ') is refused.
 */
export function normalisePemText(text: string): string {
  if (
    text.includes('\u0000') ||
    /^(\uFFFE|\uFFFD\uFFFD|\u00FF\u00FE|\u00FE\u00FF)/.test(text) ||
    /^\uFEFF?\uFFFD/.test(text)
  ) {
    throw new PkiError(
      'the text is not in a PEM encoding: it looks like UTF-16 or binary data; send the PEM as ASCII (or UTF-8) text',
    );
  }
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** Reads the header lines and base64 body between a BEGIN and an END line. */
function readBody(inner: string): { headers: string[]; body: string } {
  const lines = inner.split('\n').map((line) => line.trim());
  const headers: string[] = [];
  let i = 0;
  while (i < lines.length && lines[i] === '') i++;
  if (i < lines.length && /^[A-Za-z][A-Za-z0-9-]*:/.test(lines[i] ?? '')) {
    while (i < lines.length && lines[i] !== '') {
      const line = lines[i] ?? '';
      // A continuation line of a header starts with white space, which trim() removed.
      if (/^[A-Za-z][A-Za-z0-9-]*:/.test(line) || headers.length === 0) headers.push(line);
      else headers[headers.length - 1] += ` ${line}`;
      i++;
    }
  }
  return { headers, body: lines.slice(i).join('').replace(/\s+/g, '') };
}

/**
 * Every PEM block of the text, in order, with any label. Broken blocks are described in `broken` rather than
 * thrown, so callers choose: refuse the input, or (CA files, lenient readers) skip them.
 */
export function scanPem(text: string): PemScan {
  const normalised = normalisePemText(text);
  const blocks: PemBlock[] = [];
  const broken: PemScan['broken'] = [];
  const begins = [...normalised.matchAll(BEGIN)];
  let consumedTo = 0;
  for (let k = 0; k < begins.length; k++) {
    const m = begins[k]!;
    const start = m.index;
    if (start < consumedTo) continue;
    const label = m[1]!;
    const bodyStart = start + m[0].length;
    const nextBegin = begins.slice(k + 1).find((b) => b.index >= bodyStart)?.index ?? normalised.length;
    const end = new RegExp(`-----END ${escapeRegExp(label)}-----`).exec(
      normalised.slice(bodyStart, nextBegin),
    );
    if (!end) {
      broken.push({
        label,
        message: `the PEM armour is broken: BEGIN ${label} has no matching END ${label} line`,
      });
      continue;
    }
    consumedTo = bodyStart + end.index + end[0].length;
    const { headers, body } = readBody(normalised.slice(bodyStart, bodyStart + end.index));
    if (body === '' || body.length % 4 !== 0 || !BASE64_BODY.test(body)) {
      broken.push({
        label,
        message: `the PEM armour is broken: the body of the ${label} block is not valid base64`,
      });
      continue;
    }
    const der = Buffer.from(body, 'base64');
    blocks.push({ label, headers, der, pem: derToPem(der, label, headers) });
  }
  return { blocks, broken };
}

/** The normalised blocks of one label, broken ones left out (lenient: CA files, describeCertificate). */
export function splitPemBlocks(text: string, label: string): string[] {
  return scanPem(text)
    .blocks.filter((b) => b.label === label)
    .map((b) => b.pem);
}

/** What a block holds, for messages about text that holds something else than was asked for. */
const KINDS: Array<[RegExp, string]> = [
  [/PRIVATE KEY$/, 'a private key'],
  [/PUBLIC KEY$/, 'a public key'],
  [/CERTIFICATE REQUEST$/, 'a certificate request'],
  [/CERTIFICATE$/, 'a certificate'],
];

/**
 * The blocks of the text whose label is `wanted`, for the readers of certificates, keys and CSRs. A broken
 * block of such a label is refused as broken armour; text without any is refused with `nothing`, followed
 * by what the text holds instead (`(it holds a private key)`) when it holds PEM of another kind.
 */
export function readPemBlocks(text: string, wanted: (label: string) => boolean, nothing: string): PemBlock[] {
  const { blocks, broken } = scanPem(text);
  const bad = broken.find((b) => wanted(b.label));
  if (bad) throw new PkiError(`${nothing} (${bad.message})`);
  const found = blocks.filter((b) => wanted(b.label));
  if (found.length > 0) return found;
  const other = KINDS.find(([re]) => blocks.some((b) => re.test(b.label)));
  throw new PkiError(other ? `${nothing} (it holds ${other[1]})` : nothing);
}
