import os from 'node:os';
import path from 'node:path';
import { findProduct } from './domain/products.js';

/**
 * Every setting in one place. Precedence: command-line flag > OPENCAS_* environment variable > default.
 * Defaults work on a fresh machine: SQLite in ./data, rate limits on, a starter grant.
 */
export class ConfigError extends Error {}

export interface RateLimitConfig {
  enabled: boolean;
  /** Per-action overrides, calls per second per account; `default` applies to actions without a documented limit. */
  overrides: Record<string, number>;
}

export interface StarterGrant {
  productCode: string;
  count: number;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  /** Raw OPENCAS_MASTER_KEY; when absent the key lives in <dataDir>/master.key. */
  masterKey: string | undefined;
  rateLimits: RateLimitConfig;
  rootAccessKeyId: string | undefined;
  rootAccessKeySecret: string | undefined;
  starterGrant: StarterGrant | null;
  maxHeaderSize: number;
  bodyLimit: number;
  regionId: string;
  hostId: string;
  logLevel: string;
  /** DNS servers (host or host:port) for validation lookups; empty = the system's. */
  dnsServers: string[];
  httpValidationPort: number;
  /** Raw OPENCAS_VALIDATION_DENY_CIDRS; undefined = the default deny list, '' = allow all. */
  validationDenyCidrs: string | undefined;
  validation: 'real' | 'sandbox';
  sandboxDelayMs: number;
  validationTimeoutMs: number;
  /** How long an order may wait for domain validation before it fails. */
  validationWindowMs: number;
  /** Issued certificates with less than this left list as WILLEXPIRED and may be renewed. */
  willExpireMs: number;
  caAlgorithm: 'EC' | 'RSA';
  caName: string;
  /** Existing CA files: the intermediate (issuing) certificate, its key and the root. All three or none. */
  caCertFile: string | undefined;
  caKeyFile: string | undefined;
  caRootFile: string | undefined;
  workerIntervalMs: number;
  /** Service-generated RSA keys kept ready per size (0: no pool, every key made on demand). */
  keyPoolSize: number;
  /** Background threads that make pool keys. */
  keyPoolThreads: number;
  /** Threads that build and sign certificates; 0 signs on the main thread. */
  signingThreads: number;
  /** Redis for shared rate limits (redis://host:port); without it a PostgreSQL cluster shares them in the database. */
  redisUrl: string | undefined;
}

export interface SettingSpec {
  key: keyof Config;
  flag: string;
  env: string;
  description: string;
  defaultText: string;
}

export const SETTINGS: SettingSpec[] = [
  {
    key: 'host',
    flag: '--host <host>',
    env: 'OPENCAS_HOST',
    description: 'address to listen on',
    defaultText: '127.0.0.1',
  },
  {
    key: 'port',
    flag: '--port <port>',
    env: 'OPENCAS_PORT',
    description: 'TCP port to listen on (0 picks a free one)',
    defaultText: '8080',
  },
  {
    key: 'dataDir',
    flag: '--data-dir <dir>',
    env: 'OPENCAS_DATA_DIR',
    description: 'data folder (database, master key, CA)',
    defaultText: './data',
  },
  {
    key: 'databaseUrl',
    flag: '--database-url <url>',
    env: 'OPENCAS_DATABASE_URL',
    description: 'database: sqlite:<file> or postgres://user@host:port/db',
    defaultText: 'sqlite:<data-dir>/opencas.db',
  },
  {
    key: 'masterKey',
    flag: '--master-key <key>',
    env: 'OPENCAS_MASTER_KEY',
    description: '32-byte master key (64 hex digits or base64) sealing secrets at rest',
    defaultText: '<data-dir>/master.key, created with mode 0600',
  },
  {
    key: 'rateLimits',
    flag: '--rate-limits <spec>',
    env: 'OPENCAS_RATE_LIMITS',
    description: 'on | off | Action=N,... overrides (default=N for undocumented actions)',
    defaultText: 'on',
  },
  {
    key: 'rootAccessKeyId',
    flag: '--root-access-key-id <id>',
    env: 'OPENCAS_ROOT_ACCESS_KEY_ID',
    description: "root account's AccessKeyId (created or updated at start)",
    defaultText: 'generated on first start into <data-dir>/root-credentials.json',
  },
  {
    key: 'rootAccessKeySecret',
    flag: '--root-access-key-secret <secret>',
    env: 'OPENCAS_ROOT_ACCESS_KEY_SECRET',
    description: "root account's AccessKeySecret",
    defaultText: '(see above)',
  },
  {
    key: 'starterGrant',
    flag: '--starter-grant <spec>',
    env: 'OPENCAS_STARTER_GRANT',
    description: 'PRODUCT_CODE:COUNT granted to every account each calendar year, or off',
    defaultText: 'digicert-free-1-free:20',
  },
  {
    key: 'maxHeaderSize',
    flag: '--max-header-size <bytes>',
    env: 'OPENCAS_MAX_HEADER_SIZE',
    description: 'largest request line plus headers accepted (certificates travel in the query)',
    defaultText: '262144',
  },
  {
    key: 'bodyLimit',
    flag: '--body-limit <bytes>',
    env: 'OPENCAS_BODY_LIMIT',
    description: 'largest request body',
    defaultText: '1048576',
  },
  {
    key: 'regionId',
    flag: '--region-id <id>',
    env: 'OPENCAS_REGION_ID',
    description: 'region named in CertIdentifier',
    defaultText: 'cn-hangzhou',
  },
  {
    key: 'hostId',
    flag: '--host-id <host>',
    env: 'OPENCAS_HOST_ID',
    description: 'HostId written in error bodies',
    defaultText: 'cas.aliyuncs.com',
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'OPENCAS_LOG_LEVEL',
    description: 'fatal, error, warn, info, debug, trace or silent',
    defaultText: 'info',
  },
  {
    key: 'dnsServers',
    flag: '--dns-servers <list>',
    env: 'OPENCAS_DNS_SERVERS',
    description: 'DNS servers for validation, comma-separated host[:port]',
    defaultText: "the system's",
  },
  {
    key: 'httpValidationPort',
    flag: '--http-validation-port <port>',
    env: 'OPENCAS_HTTP_VALIDATION_PORT',
    description: 'port the FILE validation fetches from',
    defaultText: '80',
  },
  {
    key: 'validationDenyCidrs',
    flag: '--validation-deny-cidrs <list>',
    env: 'OPENCAS_VALIDATION_DENY_CIDRS',
    description: 'address ranges FILE validation never connects to ("" allows all)',
    defaultText: 'loopback, link-local, 0.0.0.0/8 and their IPv6 forms',
  },
  {
    key: 'validation',
    flag: '--validation <mode>',
    env: 'OPENCAS_VALIDATION',
    description: 'real, or sandbox (every check passes after a delay; for CI of API users)',
    defaultText: 'real',
  },
  {
    key: 'sandboxDelayMs',
    flag: '--sandbox-delay-ms <ms>',
    env: 'OPENCAS_SANDBOX_DELAY_MS',
    description: 'how long sandbox validation takes',
    defaultText: '2000',
  },
  {
    key: 'validationTimeoutMs',
    flag: '--validation-timeout-ms <ms>',
    env: 'OPENCAS_VALIDATION_TIMEOUT_MS',
    description: 'time limit of one DNS or HTTP check',
    defaultText: '5000',
  },
  {
    key: 'validationWindowMs',
    flag: '--validation-window-hours <h>',
    env: 'OPENCAS_VALIDATION_WINDOW_HOURS',
    description: 'hours an order may wait for validation before verify_fail',
    defaultText: '24',
  },
  {
    key: 'willExpireMs',
    flag: '--will-expire-days <d>',
    env: 'OPENCAS_WILL_EXPIRE_DAYS',
    description: 'days before expiry from which a certificate is WILLEXPIRED and renewable',
    defaultText: '30',
  },
  {
    key: 'caAlgorithm',
    flag: '--ca-algorithm <alg>',
    env: 'OPENCAS_CA_ALGORITHM',
    description: 'EC (P-256) or RSA for a new embedded CA',
    defaultText: 'EC',
  },
  {
    key: 'caName',
    flag: '--ca-name <name>',
    env: 'OPENCAS_CA_NAME',
    description: 'name in the embedded CA certificates',
    defaultText: 'OpenCAS',
  },
  {
    key: 'caCertFile',
    flag: '--ca-cert-file <file>',
    env: 'OPENCAS_CA_CERT_FILE',
    description: 'existing issuing (intermediate) CA certificate, PEM',
    defaultText: 'an embedded CA in <data-dir>/ca',
  },
  {
    key: 'caKeyFile',
    flag: '--ca-key-file <file>',
    env: 'OPENCAS_CA_KEY_FILE',
    description: 'its private key, PEM, unencrypted',
    defaultText: '-',
  },
  {
    key: 'caRootFile',
    flag: '--ca-root-file <file>',
    env: 'OPENCAS_CA_ROOT_FILE',
    description: 'the root certificate above it, PEM',
    defaultText: '-',
  },
  {
    key: 'redisUrl',
    flag: '--redis-url <url>',
    env: 'OPENCAS_REDIS_URL',
    description: 'Redis holding the rate-limit counters of a cluster',
    defaultText: 'the database (PostgreSQL) or this process (SQLite)',
  },
  {
    key: 'workerIntervalMs',
    flag: '--worker-interval-ms <ms>',
    env: 'OPENCAS_WORKER_INTERVAL_MS',
    description: 'how often background work looks for due orders',
    defaultText: '250',
  },
  {
    key: 'keyPoolSize',
    flag: '--key-pool-size <n>',
    env: 'OPENCAS_KEY_POOL_SIZE',
    description:
      'RSA keys made ahead of demand per key size, sealed in the database; filled from the first use of a size, refilled below half (0 disables)',
    defaultText: '20',
  },
  {
    key: 'keyPoolThreads',
    flag: '--key-pool-threads <n>',
    env: 'OPENCAS_KEY_POOL_THREADS',
    description: 'worker threads making pool keys, at the lowest CPU priority',
    defaultText: '1',
  },
  {
    key: 'signingThreads',
    flag: '--signing-threads <n>',
    env: 'OPENCAS_SIGNING_THREADS',
    description: 'worker threads that build and sign certificates (0: the main thread signs)',
    defaultText: 'one less than the cores, at most 4',
  },
];

function parseIntSetting(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseRateLimits(text: string): RateLimitConfig {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'on') return { enabled: true, overrides: {} };
  if (t.toLowerCase() === 'off') return { enabled: false, overrides: {} };
  const overrides: Record<string, number> = {};
  for (const part of t.split(',')) {
    const p = part.trim();
    if (p === '' || p.toLowerCase() === 'on') continue;
    const m = /^([A-Za-z]+)=(\d+)$/.exec(p);
    if (!m) throw new ConfigError(`OPENCAS_RATE_LIMITS: "${p}" is not on, off or Action=N`);
    const n = Number(m[2]);
    if (n < 1) throw new ConfigError(`OPENCAS_RATE_LIMITS: ${m[1]} must allow at least 1 call per second`);
    overrides[m[1]!] = n;
  }
  return { enabled: true, overrides };
}

export function parseStarterGrant(text: string): StarterGrant | null {
  const t = text.trim();
  if (t.toLowerCase() === 'off' || t === '') return null;
  const m = /^([a-z0-9-]+):(\d+)$/.exec(t);
  if (!m) throw new ConfigError(`OPENCAS_STARTER_GRANT must be PRODUCT_CODE:COUNT or off, got "${text}"`);
  if (!findProduct(m[1]!))
    throw new ConfigError(`OPENCAS_STARTER_GRANT names an unknown product code "${m[1]}"`);
  return { productCode: m[1]!, count: parseIntSetting('OPENCAS_STARTER_GRANT count', m[2]!, 1, 1_000_000) };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(
  flags: Partial<Record<keyof Config, string>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const raw = (key: keyof Config): string | undefined => {
    const spec = SETTINGS.find((s) => s.key === key)!;
    const v = flags[key] ?? env[spec.env];
    return v === undefined || v === '' ? undefined : v;
  };
  const dataDir = path.resolve(raw('dataDir') ?? './data');
  const databaseUrl = raw('databaseUrl') ?? `sqlite:${path.join(dataDir, 'opencas.db')}`;
  if (!/^(sqlite:|postgres:|postgresql:)/.test(databaseUrl)) {
    throw new ConfigError(
      `OPENCAS_DATABASE_URL must start with sqlite: (or postgres://), got "${databaseUrl}"`,
    );
  }
  const logLevel = raw('logLevel') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`OPENCAS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const rootAccessKeyId = raw('rootAccessKeyId');
  const rootAccessKeySecret = raw('rootAccessKeySecret');
  if ((rootAccessKeyId === undefined) !== (rootAccessKeySecret === undefined)) {
    throw new ConfigError(
      'OPENCAS_ROOT_ACCESS_KEY_ID and OPENCAS_ROOT_ACCESS_KEY_SECRET must be set together',
    );
  }
  if (rootAccessKeyId !== undefined && !/^[A-Za-z0-9._-]{3,128}$/.test(rootAccessKeyId)) {
    throw new ConfigError(
      'OPENCAS_ROOT_ACCESS_KEY_ID may hold only letters, digits, ".", "_" and "-" (3 to 128 characters)',
    );
  }
  if (rootAccessKeySecret !== undefined && rootAccessKeySecret.length < 16) {
    throw new ConfigError('OPENCAS_ROOT_ACCESS_KEY_SECRET must be at least 16 characters');
  }
  return {
    host: raw('host') ?? '127.0.0.1',
    port: parseIntSetting('OPENCAS_PORT', raw('port') ?? '8080', 0, 65535),
    dataDir,
    databaseUrl,
    masterKey: raw('masterKey'),
    rateLimits: parseRateLimits(raw('rateLimits') ?? 'on'),
    rootAccessKeyId,
    rootAccessKeySecret,
    starterGrant: parseStarterGrant(raw('starterGrant') ?? 'digicert-free-1-free:20'),
    maxHeaderSize: parseIntSetting(
      'OPENCAS_MAX_HEADER_SIZE',
      raw('maxHeaderSize') ?? '262144',
      65536 + 1024,
      64 * 1024 * 1024,
    ),
    bodyLimit: parseIntSetting('OPENCAS_BODY_LIMIT', raw('bodyLimit') ?? '1048576', 1024, 256 * 1024 * 1024),
    regionId: raw('regionId') ?? 'cn-hangzhou',
    hostId: raw('hostId') ?? 'cas.aliyuncs.com',
    logLevel,
    dnsServers: (raw('dnsServers') ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
    httpValidationPort: parseIntSetting(
      'OPENCAS_HTTP_VALIDATION_PORT',
      raw('httpValidationPort') ?? '80',
      1,
      65535,
    ),
    validationDenyCidrs: flags.validationDenyCidrs ?? env['OPENCAS_VALIDATION_DENY_CIDRS'],
    validation: parseChoice('OPENCAS_VALIDATION', raw('validation') ?? 'real', ['real', 'sandbox'] as const),
    sandboxDelayMs: parseIntSetting(
      'OPENCAS_SANDBOX_DELAY_MS',
      raw('sandboxDelayMs') ?? '2000',
      0,
      86_400_000,
    ),
    validationTimeoutMs: parseIntSetting(
      'OPENCAS_VALIDATION_TIMEOUT_MS',
      raw('validationTimeoutMs') ?? '5000',
      100,
      60_000,
    ),
    validationWindowMs:
      parseIntSetting('OPENCAS_VALIDATION_WINDOW_HOURS', raw('validationWindowMs') ?? '24', 1, 24 * 30) *
      3_600_000,
    willExpireMs:
      parseIntSetting('OPENCAS_WILL_EXPIRE_DAYS', raw('willExpireMs') ?? '30', 1, 365) * 86_400_000,
    caAlgorithm: parseChoice('OPENCAS_CA_ALGORITHM', raw('caAlgorithm') ?? 'EC', ['EC', 'RSA'] as const),
    caName: raw('caName') ?? 'OpenCAS',
    ...caFiles(raw('caCertFile'), raw('caKeyFile'), raw('caRootFile')),
    redisUrl: parseRedisUrl(raw('redisUrl')),
    workerIntervalMs: parseIntSetting(
      'OPENCAS_WORKER_INTERVAL_MS',
      raw('workerIntervalMs') ?? '250',
      10,
      60_000,
    ),
    keyPoolSize: parseIntSetting('OPENCAS_KEY_POOL_SIZE', raw('keyPoolSize') ?? '20', 0, 100_000),
    keyPoolThreads: parseIntSetting('OPENCAS_KEY_POOL_THREADS', raw('keyPoolThreads') ?? '1', 1, 64),
    signingThreads: parseIntSetting(
      'OPENCAS_SIGNING_THREADS',
      raw('signingThreads') ?? String(Math.min(4, Math.max(0, os.availableParallelism() - 1))),
      0,
      64,
    ),
  };
}

function parseRedisUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^rediss?:\/\/[^\s]+$/.test(text))
    throw new ConfigError(`OPENCAS_REDIS_URL must be redis://host:port, got "${text}"`);
  return text;
}

function parseChoice<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  const v = allowed.find((a) => a.toLowerCase() === text.trim().toLowerCase());
  if (!v) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return v;
}

function caFiles(cert: string | undefined, key: string | undefined, root: string | undefined) {
  const given = [cert, key, root].filter((x) => x !== undefined).length;
  if (given !== 0 && given !== 3) {
    throw new ConfigError(
      'OPENCAS_CA_CERT_FILE, OPENCAS_CA_KEY_FILE and OPENCAS_CA_ROOT_FILE must be set together',
    );
  }
  return {
    caCertFile: cert && path.resolve(cert),
    caKeyFile: key && path.resolve(key),
    caRootFile: root && path.resolve(root),
  };
}
