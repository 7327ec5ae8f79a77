import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parse } from 'tldts';

/** A domain name that cannot be certified; the message says why. */
export class NameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NameError';
  }
}

export interface NormalizedName {
  /** The name as it is stored and compared: lower case, ASCII (punycode), no trailing dot; `*.base` for a wildcard. */
  name: string;
  wildcard: boolean;
  /** The name without its `*.` label (the name itself when not a wildcard). */
  base: string;
}

const MAX_NAME = 253;
const MAX_LABEL = 63;
/** Refuse absurd input before any work on it. */
const MAX_INPUT = 1024;

/** Only ICANN suffixes count: a private suffix (github.io, …) is a name its owner can certify. */
const TLD_OPTIONS = { allowPrivateDomains: false, extractHostname: false } as const;

/**
 * Top-level domains outside the Public Suffix List that are still accepted: the names reserved for testing
 * and for private networks (RFC 2606 and 6761, ICANN's `.internal`), where a self-hosted CA has users.
 * Any other unknown TLD (`example.con`, `corp.lan`, `printer.local`) is refused: no resolver can prove it.
 */
export const RESERVED_TLDS: readonly string[] = ['test', 'example', 'localhost', 'internal'];

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);
}

function isIpLiteral(s: string): boolean {
  if (isIP(s) !== 0) return true;
  if (s.startsWith('[') && s.endsWith(']')) return isIP(s.slice(1, -1)) === 6;
  return false;
}

/** Checks the ASCII labels of a name (without any `*.`); `shown` is the input as the user wrote it. */
function checkLabels(ascii: string, shown: string): void {
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') throw new NameError(`${quote(shown)} has an empty label`);
    if (label.length > MAX_LABEL)
      throw new NameError(
        `${quote(shown)} has a label of ${label.length} characters (at most ${MAX_LABEL} allowed)`,
      );
    if (label.includes('_'))
      throw new NameError(`${quote(shown)} contains an underscore, not allowed in a host name`);
    if (label.includes('*'))
      throw new NameError(`${quote(shown)}: '*' is only allowed as the whole first label ('*.example.com')`);
    const bad = /[^a-z0-9-]/.exec(label);
    if (bad)
      throw new NameError(
        `${quote(shown)} contains ${quote(bad[0])}; only letters, digits and '-' are allowed in a label`,
      );
    if (label.startsWith('-') || label.endsWith('-'))
      throw new NameError(`${quote(shown)} has a label that starts or ends with '-'`);
  }
}

/**
 * Normalises a domain name from a request and checks that a certificate may name it.
 * Throws NameError, with the reason in its message, for anything that is not a certifiable host name.
 */
export function normalizeDomain(input: string): NormalizedName {
  let s = input.trim();
  if (s === '') throw new NameError('the domain name is empty');
  if (s.length > MAX_INPUT) throw new NameError(`the domain name is longer than ${MAX_NAME} characters`);
  s = s.toLowerCase();
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '') throw new NameError(`${quote(input)} is not a domain name`);
  if (isIpLiteral(s)) throw new NameError(`${quote(input)} is an IP address, not a domain name`);

  let wildcard = false;
  let rest = s;
  if (s.startsWith('*.')) {
    wildcard = true;
    rest = s.slice(2);
  }
  if (rest.includes('*'))
    throw new NameError(`${quote(input)}: '*' is only allowed as the whole first label ('*.example.com')`);
  if (rest === '') throw new NameError(`${quote(input)} has an empty label`);
  if (isIpLiteral(rest)) throw new NameError(`${quote(input)} is built on an IP address, not a domain name`);

  const rawLabels = rest.split('.');
  if (rawLabels.includes('')) throw new NameError(`${quote(input)} has an empty label`);
  if (rest.includes('_'))
    throw new NameError(`${quote(input)} contains an underscore, not allowed in a host name`);
  // A last label that is a number makes URL parsers read the name as an IPv4 address (127.1, 0x7f.1).
  const last = rawLabels[rawLabels.length - 1] ?? '';
  if (/^(?:[0-9]+|0x[0-9a-f]*)$/.test(last))
    throw new NameError(`${quote(input)} ends in a number and would be read as an IPv4 address`);

  let base = rest;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(rest) || rawLabels.some((l) => l.startsWith('xn--'))) {
    base = domainToASCII(rest);
    if (base === '') throw new NameError(`${quote(input)} is not a valid internationalised domain name`);
    if (isIpLiteral(base)) throw new NameError(`${quote(input)} is an IP address, not a domain name`);
  }
  checkLabels(base, input);

  const name = wildcard ? `*.${base}` : base;
  if (name.length > MAX_NAME)
    throw new NameError(
      `${quote(input)} is ${name.length} characters long${name === s ? '' : ' in ASCII'} (at most ${MAX_NAME} allowed)`,
    );

  const labels = base.split('.');
  if (labels.length < 2) {
    if (wildcard)
      throw new NameError(`${quote(input)}: a wildcard cannot sit directly on a top-level domain`);
    throw new NameError(`${quote(input)} is a bare top-level domain, not a registrable name`);
  }
  const parsed = parse(base, TLD_OPTIONS);
  if (parsed.domain === null || parsed.publicSuffix === base) {
    if (wildcard)
      throw new NameError(
        `${quote(input)}: a wildcard cannot sit directly on the public suffix ${quote(base)}`,
      );
    throw new NameError(`${quote(input)} is a public suffix, not a name one holder controls`);
  }
  const tld = labels[labels.length - 1]!;
  if (!parsed.isIcann && !RESERVED_TLDS.includes(tld))
    throw new NameError(
      `${quote(input)} ends in ".${tld}", which is not a top-level domain of the Public Suffix List ` +
        `(of the others only ${RESERVED_TLDS.map((t) => '.' + t).join(', ')} are accepted)`,
    );
  return { name, wildcard, base };
}

/**
 * The registrable domain (public suffix plus one label) of a normalised name, from the Public Suffix List
 * (ICANN section; an unknown TLD counts as a one-label suffix). A `*.` label is ignored. Null when the name
 * has none (a bare suffix).
 */
export function registrableDomain(name: string): string | null {
  const base = name.startsWith('*.') ? name.slice(2) : name;
  if (base === '' || isIpLiteral(base)) return null;
  return parse(base, TLD_OPTIONS).domain ?? null;
}
