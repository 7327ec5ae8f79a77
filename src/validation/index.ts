import { randomInt } from 'node:crypto';
import { DnsValidator } from './dns.js';
import { HttpFileValidator } from './http-file.js';
import { SandboxValidator } from './sandbox.js';

export interface ValidationTarget {
  /** Normalised (normalizeDomain), may be `*.x`. */
  name: string;
  method: 'DNS' | 'FILE';
  token: string;
  /** When the application was submitted (epoch ms): sandbox mode measures its delay from here. */
  since?: number;
}

export interface CheckResult {
  ok: boolean;
  /** Human-readable, e.g. "TXT _dnsauth.example.com holds the token". */
  detail: string;
}

export interface Validator {
  /** Never throws: network errors, timeouts and NXDOMAIN are `{ ok: false, detail }`. */
  check(target: ValidationTarget): Promise<CheckResult>;
}

export interface ValidationConfig {
  /** Resolver addresses, `host:port`, `[v6]:port` or a bare IP; empty = the system's resolvers. */
  dnsServers: string[];
  /** Port of the HTTP file check (80 in production). */
  httpPort: number;
  /** CIDRs the HTTP file check never connects to (parseCidrList form); empty allows every address. */
  denyCidrs: string[];
  /** Upper bound for one check's network work (DNS lookups, and separately the HTTP fetch), in ms. */
  timeoutMs: number;
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A validation token (decisions 12): `yyyyMMddHHmmss` in UTC, then 50 random lower-case letters and digits. */
export function newToken(now: number): string {
  const d = new Date(now);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  let s =
    p(d.getUTCFullYear(), 4) +
    p(d.getUTCMonth() + 1) +
    p(d.getUTCDate()) +
    p(d.getUTCHours()) +
    p(d.getUTCMinutes()) +
    p(d.getUTCSeconds());
  for (let i = 0; i < 50; i++) s += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return s;
}

class RealValidator implements Validator {
  private readonly dns: DnsValidator;
  private readonly file: HttpFileValidator;

  constructor(cfg: ValidationConfig) {
    this.dns = new DnsValidator(cfg);
    this.file = new HttpFileValidator(cfg);
  }

  async check(target: ValidationTarget): Promise<CheckResult> {
    try {
      return target.method === 'FILE' ? await this.file.check(target) : await this.dns.check(target);
    } catch (err) {
      return { ok: false, detail: `validation failed unexpectedly: ${(err as Error).message}` };
    }
  }
}

/**
 * The validator for the configured mode. `real` checks DNS TXT records and HTTP files; `sandbox` passes
 * every check `sandboxDelayMs` after it first saw the (name, token) pair, without any network access.
 * Throws at construction for a bad resolver address in `cfg.dnsServers`.
 */
export function createValidator(
  mode: 'real' | 'sandbox',
  cfg: ValidationConfig,
  sandboxDelayMs: number,
  now: () => number,
): Validator {
  return mode === 'sandbox' ? new SandboxValidator(sandboxDelayMs, now) : new RealValidator(cfg);
}

export { DnsValidator, RECORD_LABEL, sharedRecord } from './dns.js';
export {
  DEFAULT_DENY_CIDRS,
  FILE_URI,
  HttpFileValidator,
  MAX_FILE_BODY,
  parseCidrList,
} from './http-file.js';
export { SandboxValidator } from './sandbox.js';
