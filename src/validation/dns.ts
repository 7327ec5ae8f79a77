import { Resolver } from 'node:dns/promises';
import { registrableDomain } from '../domain/names.js';
import type { CheckResult, ValidationConfig, ValidationTarget } from './index.js';

/** The label under which the DNS method's TXT record lives (decisions 12). */
export const RECORD_LABEL = '_dnsauth';

type LookupConfig = Pick<ValidationConfig, 'dnsServers' | 'timeoutMs'>;

/** The DNS error code of a failed lookup (ENOTFOUND, ENODATA, ETIMEOUT, …). */
export function dnsErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/** A short human reading of a DNS error code. */
export function describeDnsError(code: string): string {
  switch (code) {
    case 'ENOTFOUND':
      return 'the name does not exist (NXDOMAIN)';
    case 'ENODATA':
      return 'no such record';
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return 'the DNS lookup timed out';
    case 'ESERVFAIL':
      return 'the DNS server failed (SERVFAIL)';
    case 'EREFUSED':
      return 'the DNS server refused the query';
    case 'ECONNREFUSED':
      return 'could not reach the DNS server';
    default:
      return `DNS error ${code}`;
  }
}

/** The codes that mean "the name or record is not there", as opposed to a failed lookup. */
function isAbsent(code: string): boolean {
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

/**
 * One check's DNS work: a fresh c-ares channel (so no answer is cached from one check to the next) on the
 * configured servers, with a small per-query timeout and an overall deadline of `timeoutMs`, after which
 * pending lookups are cancelled and new ones fail with ETIMEOUT.
 */
export class DnsLookup {
  private readonly resolver: Resolver;
  private readonly timer: NodeJS.Timeout;
  private expired = false;

  constructor(cfg: LookupConfig) {
    this.resolver = createResolver(cfg);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.resolver.cancel();
    }, cfg.timeoutMs);
    this.timer.unref();
  }

  private guard(): void {
    if (this.expired) throw Object.assign(new Error('DNS deadline passed'), { code: 'ETIMEOUT' });
  }

  async soa(name: string): Promise<void> {
    this.guard();
    await this.resolver.resolveSoa(name);
  }

  /** TXT values at the name, each record's strings joined. */
  async txt(name: string): Promise<string[]> {
    this.guard();
    const records = await this.resolver.resolveTxt(name);
    return records.map((chunks) => chunks.join(''));
  }

  /** A then AAAA addresses; `errors` holds failed lookups other than "no such name / record". */
  async addresses(name: string): Promise<{ addresses: string[]; errors: string[] }> {
    const errors: string[] = [];
    const one = async (kind: 'A' | 'AAAA'): Promise<string[]> => {
      try {
        this.guard();
        return kind === 'A' ? await this.resolver.resolve4(name) : await this.resolver.resolve6(name);
      } catch (err) {
        const code = dnsErrorCode(err);
        if (!isAbsent(code)) errors.push(`${kind} lookup of ${name} failed: ${describeDnsError(code)}`);
        return [];
      }
    };
    const [v4, v6] = await Promise.all([one('A'), one('AAAA')]);
    return { addresses: [...v4, ...v6], errors };
  }

  close(): void {
    clearTimeout(this.timer);
    this.resolver.cancel();
  }
}

/** A resolver on the configured servers (or the system's), small per-query timeout, two tries. */
export function createResolver(cfg: LookupConfig): Resolver {
  const resolver = new Resolver({ timeout: Math.max(50, Math.floor(cfg.timeoutMs / 4)), tries: 2 });
  if (cfg.dnsServers.length > 0) resolver.setServers(cfg.dnsServers);
  return resolver;
}

function stripWildcard(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}

/** `name` and its parents down to `apex` inclusive; just `[name]` when `name` is not under `apex`. */
function chainTo(name: string, apex: string): string[] {
  if (name !== apex && !name.endsWith('.' + apex)) return [name];
  const out = [name];
  let n = name;
  while (n !== apex) {
    n = n.slice(n.indexOf('.') + 1);
    out.push(n);
  }
  return out;
}

/**
 * The record (relative to the zone apex) that proves every name, given each name's zone apex: `_dnsauth`
 * followed by the labels of the names' deepest common parent below the apex; null when the apexes differ.
 */
export function sharedRecord(names: string[], apexes: string[]): string | null {
  const apex = apexes[0];
  if (apex === undefined || apexes.some((a) => a !== apex)) return null;
  const bases = names.map(stripWildcard);
  // A name outside its "apex" (a fallback that is not a parent) is checked at its own record only.
  if (bases.some((b) => b !== apex && !b.endsWith('.' + apex)))
    return bases.length === 1 ? RECORD_LABEL : null;
  const relative = bases.map((b) =>
    b === apex
      ? []
      : b
          .slice(0, -(apex.length + 1))
          .split('.')
          .reverse(),
  );
  const common: string[] = [];
  for (let i = 0; relative.every((r) => i < r.length && r[i] === relative[0]![i]); i++)
    common.push(relative[0]![i]!);
  return common.length ? `${RECORD_LABEL}.${common.reverse().join('.')}` : RECORD_LABEL;
}

/** Whether a TXT value holds the token; double quotes and whitespace (quoted or split entries) are ignored. */
function holdsToken(value: string, token: string): boolean {
  return value.replace(/["\s]/g, '') === token;
}

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function shortValue(v: string): string {
  return JSON.stringify(v.length > 70 ? v.slice(0, 67) + '...' : v);
}

/** DNS-01-like validation: a TXT record at `_dnsauth.<name>` or a parent down to the zone apex. */
export class DnsValidator {
  private readonly cfg: LookupConfig;

  constructor(cfg: LookupConfig) {
    this.cfg = { dnsServers: [...cfg.dnsServers], timeoutMs: cfg.timeoutMs };
    // Fail at start-up, not at the first check, on a bad resolver address.
    createResolver(this.cfg).cancel();
  }

  private async apexWith(lookup: DnsLookup, name: string): Promise<string> {
    const base = stripWildcard(name);
    const registrable = registrableDomain(base);
    // Never above the registrable domain: an SOA for `com` does not make `com` anyone's zone apex.
    for (const candidate of registrable === null ? [base] : chainTo(base, registrable)) {
      try {
        await lookup.soa(candidate);
        return candidate;
      } catch (err) {
        if (!isAbsent(dnsErrorCode(err))) break; // the resolver is failing: no point walking on
      }
    }
    return registrable ?? base;
  }

  /** The zone apex of a name (`*.x` starts at `x`): the first name with an SOA walking up, else the registrable domain. */
  async findZoneApex(name: string): Promise<string> {
    const lookup = new DnsLookup(this.cfg);
    try {
      return await this.apexWith(lookup, name);
    } finally {
      lookup.close();
    }
  }

  /** The host record relative to the zone apex: `_dnsauth`, `_dnsauth.www`, `_dnsauth.a.b`. */
  async recordDomain(name: string): Promise<string> {
    return (await this.sharedRecordDomain([name]))!;
  }

  /**
   * The one host record, relative to the names' zone apex, whose TXT token proves every name (the deepest
   * parent they share: `_dnsauth` for `a.example.com` and `b.example.com`); null when the names lie in
   * different zones, where no single record proves them all.
   */
  async sharedRecordDomain(names: string[]): Promise<string | null> {
    const lookup = new DnsLookup(this.cfg);
    try {
      const apexes = await Promise.all(names.map((n) => this.apexWith(lookup, n)));
      return sharedRecord(names, apexes);
    } finally {
      lookup.close();
    }
  }

  async check(target: ValidationTarget): Promise<CheckResult> {
    const lookup = new DnsLookup(this.cfg);
    try {
      const base = stripWildcard(target.name);
      const apex = await this.apexWith(lookup, base);
      const names = chainTo(base, apex).map((n) => `${RECORD_LABEL}.${n}`);
      const results = await Promise.all(
        names.map(async (n) => {
          try {
            return { name: n, values: await lookup.txt(n), code: null };
          } catch (err) {
            return { name: n, values: [] as string[], code: dnsErrorCode(err) };
          }
        }),
      );
      const hit = results.find((r) => r.values.some((v) => holdsToken(v, target.token)));
      if (hit) return { ok: true, detail: `TXT ${hit.name} holds the token` };

      const parts: string[] = [];
      for (const r of results) {
        if (r.values.length > 0) {
          const n = r.values.length;
          parts.push(
            `TXT ${r.name} holds ${n === 1 ? 'a value' : `${n} values`} but not the token (${r.values.slice(0, 5).map(shortValue).join(', ')}${n > 5 ? ', …' : ''})`,
          );
        } else if (r.code !== null && !isAbsent(r.code)) {
          parts.push(`TXT lookup of ${r.name} failed: ${describeDnsError(r.code)}`);
        }
      }
      if (parts.length === 0) return { ok: false, detail: `no TXT record at ${listNames(names)}` };
      const empty = results.filter((r) => r.values.length === 0 && (r.code === null || isAbsent(r.code)));
      if (empty.length > 0) parts.push(`no TXT record at ${listNames(empty.map((r) => r.name))}`);
      return { ok: false, detail: parts.join('; ') };
    } catch (err) {
      return { ok: false, detail: `DNS validation failed: ${(err as Error).message}` };
    } finally {
      lookup.close();
    }
  }
}
