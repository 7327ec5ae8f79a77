import http from 'node:http';
import { BlockList, isIP } from 'node:net';
import { DnsLookup } from './dns.js';
import type { CheckResult, ValidationConfig, ValidationTarget } from './index.js';

/** Where the FILE method's token must be served (api.md §7.3, decisions 13). */
export const FILE_URI = '/.well-known/pki-validation/fileauth.txt';

/** Largest body accepted; a longer answer is aborted and fails. */
export const MAX_FILE_BODY = 4096;

/**
 * Addresses the HTTP file check refuses by default: loopback, link-local (which holds the cloud metadata
 * address 169.254.169.254), "this network" 0.0.0.0/8 and Alibaba Cloud's ECS metadata address
 * 100.100.100.200; the IPv6 loopback, unspecified and link-local ranges; the IPv4-mapped IPv6 forms of the
 * IPv4 ranges; and the AWS IPv6 metadata address.
 */
export const DEFAULT_DENY_CIDRS: string[] = [
  '127.0.0.0/8',
  '169.254.0.0/16',
  '0.0.0.0/8',
  '100.100.100.200/32',
  '::1/128',
  '::/128',
  'fe80::/10',
  '::ffff:127.0.0.0/104',
  '::ffff:169.254.0.0/112',
  '::ffff:0.0.0.0/104',
  '::ffff:100.100.100.200/128',
  'fd00:ec2::254/128',
];

/**
 * Parses a comma- (or whitespace-) separated list of CIDRs, e.g. OPENCAS_VALIDATION_DENY_CIDRS, into
 * `address/prefix` strings; a bare address counts as a /32 or /128, '' gives []. Throws an Error naming the
 * bad entry.
 */
export function parseCidrList(text: string): string[] {
  const out: string[] = [];
  for (const entry of text.split(/[\s,]+/)) {
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const addr = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIP(addr);
    if (family === 0) throw new Error(`invalid CIDR "${entry}": "${addr}" is not an IPv4 or IPv6 address`);
    const max = family === 4 ? 32 : 128;
    let prefix = max;
    if (slash >= 0) {
      const p = entry.slice(slash + 1);
      if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max)
        throw new Error(`invalid CIDR "${entry}": the prefix length must be a whole number from 0 to ${max}`);
      prefix = Number(p);
    }
    out.push(`${addr.toLowerCase()}/${prefix}`);
  }
  return out;
}

interface DenyRule {
  cidr: string;
  list: BlockList;
}

function compileDenyList(cidrs: string[]): DenyRule[] {
  return parseCidrList(cidrs.join(',')).map((cidr) => {
    const [addr = '', prefix = ''] = cidr.split('/');
    const list = new BlockList();
    // BlockList also matches IPv4-mapped IPv6 addresses against IPv4 rules, and the reverse.
    list.addSubnet(addr, Number(prefix), isIP(addr) === 6 ? 'ipv6' : 'ipv4');
    return { cidr, list };
  });
}

type Attempt = { ok: boolean; detail: string };

/** HTTP file validation: `http://<name>:<port>/.well-known/pki-validation/fileauth.txt` must hold the token. */
export class HttpFileValidator {
  private readonly cfg: ValidationConfig;
  private readonly deny: DenyRule[];

  constructor(cfg: ValidationConfig) {
    this.cfg = { ...cfg, dnsServers: [...cfg.dnsServers], denyCidrs: [...cfg.denyCidrs] };
    this.deny = compileDenyList(cfg.denyCidrs);
  }

  /** The denied range holding the address, or null. */
  deniedRange(address: string): string | null {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    for (const rule of this.deny) if (rule.list.check(address, family)) return rule.cidr;
    return null;
  }

  async check(target: ValidationTarget): Promise<CheckResult> {
    const name = target.name;
    if (name.startsWith('*.') || name.includes('*'))
      return { ok: false, detail: 'FILE validation cannot prove a wildcard; use DNS validation' };
    try {
      const lookup = new DnsLookup(this.cfg);
      let found: { addresses: string[]; errors: string[] };
      try {
        found = await lookup.addresses(name);
      } finally {
        lookup.close();
      }
      if (found.addresses.length === 0) {
        const why = found.errors.length > 0 ? found.errors.join('; ') : `${name} has no A or AAAA record`;
        return { ok: false, detail: why };
      }

      const refused: string[] = [];
      const allowed: string[] = [];
      for (const a of found.addresses) {
        const range = this.deniedRange(a);
        if (range === null) allowed.push(a);
        else refused.push(`address ${a} is in a denied range (${range})`);
      }
      if (allowed.length === 0) return { ok: false, detail: `${name}: ${refused.join('; ')}` };

      const url = `http://${name}${this.cfg.httpPort === 80 ? '' : `:${this.cfg.httpPort}`}${FILE_URI}`;
      const deadline = Date.now() + this.cfg.timeoutMs;
      const failures: string[] = [];
      // Any address the name points to will do: all of them are the domain holder's choice.
      for (const address of allowed) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          failures.push(`${url} via ${address}: not tried, the ${this.cfg.timeoutMs} ms budget is spent`);
          break;
        }
        const r = await fetchFile(address, name, this.cfg.httpPort, remaining, target.token);
        if (r.ok) return { ok: true, detail: `${url} via ${address} holds the token` };
        failures.push(`${url} via ${address}: ${r.detail}`);
      }
      return { ok: false, detail: [...failures, ...refused].join('; ') };
    } catch (err) {
      return { ok: false, detail: `FILE validation failed: ${(err as Error).message}` };
    }
  }
}

function shortText(s: string): string {
  return JSON.stringify(s.length > 70 ? s.slice(0, 67) + '...' : s);
}

/** One GET of the validation file from one address; never rejects. */
function fetchFile(
  address: string,
  name: string,
  port: number,
  timeoutMs: number,
  token: string,
): Promise<Attempt> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Attempt): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const req = http.request({
      host: address,
      port,
      path: FILE_URI,
      method: 'GET',
      agent: false,
      family: isIP(address),
      headers: {
        Host: port === 80 ? name : `${name}:${port}`,
        'User-Agent': 'OpenCAS-domain-validation/1',
        Accept: 'text/plain, */*',
        Connection: 'close',
      },
    });
    req.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      finish({ ok: false, detail: `request failed: ${code ?? err.message}` });
    });
    req.on('close', () => finish({ ok: false, detail: 'the connection closed before a complete answer' }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        const location = res.headers.location;
        finish({
          ok: false,
          detail: `answered HTTP ${status} (redirect${location ? ` to ${shortText(location)}` : ''}); redirects are not followed`,
        });
        return;
      }
      if (status !== 200) {
        finish({ ok: false, detail: `answered HTTP ${status}, expected 200` });
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > MAX_FILE_BODY) {
        finish({
          ok: false,
          detail: `the file is ${declared} bytes, more than the ${MAX_FILE_BODY} allowed`,
        });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_FILE_BODY)
          finish({ ok: false, detail: `the file is more than ${MAX_FILE_BODY} bytes` });
        else chunks.push(chunk);
      });
      res.on('error', (err) => finish({ ok: false, detail: `reading the answer failed: ${err.message}` }));
      res.on('end', () => {
        const text = Buffer.concat(chunks)
          .toString('utf8')
          .trim()
          .replace(/^\uFEFF/, '')
          .trim();
        if (text === token) finish({ ok: true, detail: 'holds the token' });
        else if (text === '') finish({ ok: false, detail: 'the file is empty' });
        else finish({ ok: false, detail: `the file does not hold the token (it holds ${shortText(text)})` });
      });
    });
    req.end();
  });
}
