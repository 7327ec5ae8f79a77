import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createAccessKey, ensureRootAccount, listAccessKeys, putAccessKey } from './domain/accounts.js';
import type { Services } from './domain/context.js';
import { MasterKey } from './secrets.js';
import { EmbeddedCa } from './issuance/embedded-ca.js';
import { Metrics } from './metrics.js';
import { KeyPool } from './domain/key-pool.js';
import { ACTIONS } from './actions/index.js';
import { Store } from './store/index.js';
import { OrderSignals } from './domain/signals.js';
import { ConfigError } from './config.js';
import {
  createValidator,
  DEFAULT_DENY_CIDRS,
  DnsValidator,
  parseCidrList,
  sharedRecord,
  type ValidationConfig,
} from './validation/index.js';
import { registrableDomain } from './domain/names.js';
import type { ValidationService } from './domain/context.js';

/** Opens everything the server and the admin CLI share: data folder, master key, store (migrated). */
export async function openServices(config: Config, clock: Clock = systemClock): Promise<Services> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(config.dataDir, 'master.key');
  const created = !config.masterKey && !existsSync(keyFile);
  const masterKey = config.masterKey ? parseMasterKey(config.masterKey) : loadMasterKeyFile(config.dataDir);
  const store = await Store.open(config.databaseUrl);
  try {
    await checkMasterKey(store, masterKey, config.masterKey ? 'OPENCAS_MASTER_KEY' : keyFile);
  } catch (err) {
    await store.close();
    // A key file made just now for a database sealed under another key is of no use, and would be in the
    // way of the one restored from a backup: it goes again.
    if (created && err instanceof MasterKeyMismatchError) {
      rmSync(keyFile, { force: true });
      throw new MasterKeyMismatchError(
        `${keyFile} is missing, and this database was sealed with a master key: restore the file from a backup, or set OPENCAS_MASTER_KEY`,
      );
    }
    throw err;
  }
  try {
    const shared = store.conn.dialect === 'postgres' ? store.meta : undefined;
    const issuer = await EmbeddedCa.open(config, masterKey, clock.now(), shared);
    const metrics = new Metrics(new Set(ACTIONS.keys()), store);
    const keys = new KeyPool(store, masterKey, metrics, {
      size: config.keyPoolSize,
      threads: config.keyPoolThreads,
    });
    const validation = buildValidation(config, clock);
    const signals = new OrderSignals();
    return { config, store, clock, masterKey, issuer, validation, metrics, keys, signals };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** A malformed OPENCAS_MASTER_KEY is a setting to correct, reported as such (not as an unexpected error). */
function parseMasterKey(text: string): MasterKey {
  try {
    return MasterKey.parse(text);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/**
 * The key file in the data folder: a file that holds no key (damaged, emptied, replaced) or cannot be read is
 * a setting to correct as well. It is never overwritten: secrets sealed under the lost key would not open.
 */
function loadMasterKeyFile(dataDir: string): MasterKey {
  try {
    return MasterKey.loadOrCreateFile(dataDir);
  } catch (err) {
    const file = path.join(dataDir, 'master.key');
    if (!existsSync(file))
      throw new ConfigError(`${file}: the master key cannot be created (${(err as Error).message})`);
    const why = (err as NodeJS.ErrnoException).code ? (err as Error).message : 'it holds no key';
    throw new ConfigError(
      `${file}: the master key cannot be loaded (${why}): it must hold the 32-byte key (64 hex digits or base64) this data was sealed with; restore it from a backup`,
    );
  }
}

function buildValidation(config: Config, clock: Clock): ValidationService {
  let denyCidrs: string[];
  try {
    denyCidrs =
      config.validationDenyCidrs === undefined
        ? DEFAULT_DENY_CIDRS
        : parseCidrList(config.validationDenyCidrs);
  } catch (err) {
    throw new ConfigError(`OPENCAS_VALIDATION_DENY_CIDRS: ${(err as Error).message}`);
  }
  const cfg: ValidationConfig = {
    dnsServers: config.dnsServers,
    httpPort: config.httpValidationPort,
    denyCidrs,
    timeoutMs: config.validationTimeoutMs,
  };
  let validator;
  let dns: DnsValidator | undefined;
  try {
    validator = createValidator(config.validation, cfg, config.sandboxDelayMs, () => clock.now());
    dns = config.validation === 'real' ? new DnsValidator(cfg) : undefined;
  } catch (err) {
    throw new ConfigError(`OPENCAS_DNS_SERVERS: ${(err as Error).message}`);
  }
  return {
    mode: config.validation,
    check: (t) => validator.check(t),
    recordDomain: async (names) => {
      if (dns) return dns.sharedRecordDomain(names);
      // Sandbox: no DNS traffic; the registrable domain stands in for the zone apex.
      return sharedRecord(
        names,
        names.map((n) => {
          const base = n.replace(/^\*\./, '');
          return registrableDomain(base) ?? base;
        }),
      );
    },
  };
}

export class MasterKeyMismatchError extends Error {}

const CHECK_KEY = 'master_key_check';
const CHECK_CONTEXT = 'opencas-master-key-check';

/** The first start seals a known value; later starts must open it, so a wrong master key fails loudly at once. */
async function checkMasterKey(store: Store, masterKey: MasterKey, source: string): Promise<void> {
  const sealed = await store.meta.putIfAbsent(CHECK_KEY, masterKey.seal(CHECK_CONTEXT, CHECK_CONTEXT));
  try {
    if (masterKey.openString(sealed, CHECK_CONTEXT) === CHECK_CONTEXT) return;
  } catch {
    // fall through
  }
  throw new MasterKeyMismatchError(`the master key does not open this database (check ${source})`);
}

export interface RootCredentialsResult {
  accessKeyId: string;
  /** Where a generated key was written; undefined when it came from the environment or existed already. */
  file?: string;
  source: 'environment' | 'generated' | 'existing';
}

export const rootCredentialsFile = (config: Config) => path.join(config.dataDir, 'root-credentials.json');

/** Makes sure the root account exists and has a usable AccessKey (issue 2, item 4). */
export async function bootstrapRoot(s: Services): Promise<RootCredentialsResult> {
  const root = await ensureRootAccount(s);
  if (s.config.rootAccessKeyId && s.config.rootAccessKeySecret) {
    await putAccessKey(s, root.uid, s.config.rootAccessKeyId, s.config.rootAccessKeySecret);
    return { accessKeyId: s.config.rootAccessKeyId, source: 'environment' };
  }
  const keys = await listAccessKeys(s, root.uid);
  if (keys.length > 0) {
    const file = rootCredentialsFile(s.config);
    return {
      accessKeyId: keys[0]!.accessKeyId,
      source: 'existing',
      file: existsSync(file) ? file : undefined,
    };
  }
  const key = await createAccessKey(s, root.uid);
  const file = rootCredentialsFile(s.config);
  writeFileSync(file, JSON.stringify({ accountUid: root.uid, ...key }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { accessKeyId: key.accessKeyId, file, source: 'generated' };
}
