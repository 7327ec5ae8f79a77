import { randomAlnum, randomId } from '../ids.js';
import type { AccessKeyRow, AccountRow } from '../store/accounts.js';
import { LruMap } from '../lru.js';
import type { MasterKey } from '../secrets.js';
import type { Services } from './context.js';

/** Raised for operator mistakes (admin CLI); the message is shown as is. */
export class DomainError extends Error {}

export interface Account {
  uid: number;
  name: string;
  isRoot: boolean;
  createdAt: number;
}

export interface AccessKeyInfo {
  accessKeyId: string;
  accountUid: number;
  status: 'Active' | 'Inactive';
  createdAt: number;
  disabledAt: number | null;
}

export interface ResolvedKey {
  accessKeyId: string;
  accountUid: number;
  active: boolean;
  secret: string;
}

export const ROOT_ACCOUNT_NAME = 'root';

const toAccount = (r: AccountRow): Account => ({
  uid: Number(r.uid),
  name: r.name,
  isRoot: Number(r.is_root) === 1,
  createdAt: Number(r.created_at),
});

const toKeyInfo = (r: AccessKeyRow): AccessKeyInfo => ({
  accessKeyId: r.id,
  accountUid: Number(r.account_uid),
  status: r.status,
  createdAt: Number(r.created_at),
  disabledAt: r.disabled_at === null ? null : Number(r.disabled_at),
});

const secretContext = (accessKeyId: string) => `access-key-secret:${accessKeyId}`;

export function validateAccountName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new DomainError(
      'account name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
}

export async function ensureRootAccount(s: Services): Promise<Account> {
  const existing = await s.store.accounts.findRoot();
  if (existing) return toAccount(existing);
  const row: AccountRow = { uid: randomId(), name: ROOT_ACCOUNT_NAME, is_root: 1, created_at: s.clock.now() };
  try {
    await s.store.accounts.insertAccount(row);
  } catch (err) {
    // Another process (the admin CLI, another server) created it first.
    const again = await s.store.accounts.findRoot();
    if (again) return toAccount(again);
    throw err;
  }
  return toAccount(row);
}

export async function createAccount(s: Services, name: string): Promise<Account> {
  validateAccountName(name);
  if (await s.store.accounts.findAccountByName(name))
    throw new DomainError(`an account named "${name}" exists already`);
  const row: AccountRow = { uid: randomId(), name, is_root: 0, created_at: s.clock.now() };
  await s.store.accounts.insertAccount(row);
  return toAccount(row);
}

export async function listAccounts(s: Services): Promise<Account[]> {
  await ensureRootAccount(s);
  return (await s.store.accounts.listAccounts()).map(toAccount);
}

/** Resolves `root` or a numeric uid to an account. */
export async function resolveAccount(s: Services, ref: string): Promise<Account> {
  if (ref === ROOT_ACCOUNT_NAME) return ensureRootAccount(s);
  if (!/^\d{1,16}$/.test(ref)) throw new DomainError(`"${ref}" is not an account uid or "root"`);
  const row = await s.store.accounts.findAccount(Number(ref));
  if (!row) throw new DomainError(`no account has uid ${ref}`);
  return toAccount(row);
}

export async function createAccessKey(
  s: Services,
  accountUid: number,
): Promise<{ accessKeyId: string; accessKeySecret: string }> {
  const accessKeyId = 'LTAI' + randomAlnum(20);
  const accessKeySecret = randomAlnum(30);
  await s.store.accounts.insertKey({
    id: accessKeyId,
    account_uid: accountUid,
    secret_sealed: s.masterKey.seal(accessKeySecret, secretContext(accessKeyId)),
    status: 'Active',
    created_at: s.clock.now(),
    disabled_at: null,
  });
  return { accessKeyId, accessKeySecret };
}

/** Creates the key, or re-binds and re-activates it with the given secret (OPENCAS_ROOT_ACCESS_KEY_*). */
export async function putAccessKey(
  s: Services,
  accountUid: number,
  accessKeyId: string,
  secret: string,
): Promise<void> {
  const existing = await s.store.accounts.findKey(accessKeyId);
  const sealed = s.masterKey.seal(secret, secretContext(accessKeyId));
  if (!existing) {
    try {
      await s.store.accounts.insertKey({
        id: accessKeyId,
        account_uid: accountUid,
        secret_sealed: sealed,
        status: 'Active',
        created_at: s.clock.now(),
        disabled_at: null,
      });
      return;
    } catch (err) {
      // Another server of a cluster, starting at the same moment, inserted it first: update it below.
      const raced = await s.store.accounts.findKey(accessKeyId);
      if (!raced) throw err;
      return putAccessKey(s, accountUid, accessKeyId, secret);
    }
  }
  if (Number(existing.account_uid) !== accountUid) {
    throw new DomainError(`AccessKeyId ${accessKeyId} belongs to another account`);
  }
  await s.store.accounts.updateKey(accessKeyId, {
    secret_sealed: sealed,
    status: 'Active',
    disabled_at: null,
  });
}

export async function disableAccessKey(s: Services, accessKeyId: string): Promise<AccessKeyInfo> {
  const existing = await s.store.accounts.findKey(accessKeyId);
  if (!existing) throw new DomainError(`no AccessKey has id ${accessKeyId}`);
  if (existing.status === 'Active') {
    await s.store.accounts.updateKey(accessKeyId, { status: 'Inactive', disabled_at: s.clock.now() });
  }
  return toKeyInfo((await s.store.accounts.findKey(accessKeyId))!);
}

export async function listAccessKeys(s: Services, accountUid: number): Promise<AccessKeyInfo[]> {
  return (await s.store.accounts.listKeys(accountUid)).map(toKeyInfo);
}

/** How many unsealed AccessKey secrets a server keeps (per master key), least recently used out first. */
export const UNSEALED_KEY_CACHE_SIZE = 10_000;

/**
 * Unsealed secrets by AccessKeyId, each with the sealed text it came from. An entry is used only while the
 * key's row still holds that very sealed text (every seal has a fresh IV), so the row read on every request
 * stays the authority: a disabled key fails at once, a re-bound secret is unsealed anew. What this saves is
 * the AES-GCM opening, not the lookup.
 */
const unsealed = new WeakMap<MasterKey, LruMap<string, { sealed: string; secret: string }>>();

function openSecret(s: Services, row: AccessKeyRow): string {
  let cache = unsealed.get(s.masterKey);
  if (!cache) unsealed.set(s.masterKey, (cache = new LruMap(UNSEALED_KEY_CACHE_SIZE)));
  const hit = cache.get(row.id);
  if (hit && hit.sealed === row.secret_sealed) return hit.secret;
  const secret = s.masterKey.openString(row.secret_sealed, secretContext(row.id));
  cache.set(row.id, { sealed: row.secret_sealed, secret });
  return secret;
}

/** How many unsealed secrets are cached for this server's master key (for tests). */
export function unsealedKeyCount(s: Services): number {
  return unsealed.get(s.masterKey)?.size ?? 0;
}

/** Looks an AccessKey up for request authentication, unsealing its secret. */
export async function findAccessKey(s: Services, accessKeyId: string): Promise<ResolvedKey | undefined> {
  const row = await s.store.accounts.findKey(accessKeyId);
  if (!row) return undefined;
  const active = row.status === 'Active';
  return {
    accessKeyId: row.id,
    accountUid: Number(row.account_uid),
    active,
    // An inactive key is refused before its secret is needed: no unsealing, nothing cached.
    secret: active ? openSecret(s, row) : '',
  };
}
