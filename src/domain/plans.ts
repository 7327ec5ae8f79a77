import { randomId } from '../ids.js';
import type { Counters, PlanRow } from '../store/plans.js';
import { DomainError } from './accounts.js';
import type { Services } from './context.js';
import { findProduct, PRODUCTS } from './products.js';

export interface Plan {
  id: number;
  productCode: string;
  totalCount: number;
  usedCount: number;
  issuedCount: number;
  source: 'grant' | 'starter';
  startsAt: number;
  /** First instant at which the plan no longer counts; null when it never expires. */
  expiresAt: number | null;
  active: boolean;
}

const DAY = 86_400_000;

function toPlan(r: PlanRow, now: number): Plan {
  const startsAt = Number(r.starts_at);
  const expiresAt = r.expires_at === null ? null : Number(r.expires_at);
  return {
    id: Number(r.id),
    productCode: r.product_code,
    totalCount: Number(r.total_count),
    usedCount: Number(r.used_count),
    issuedCount: Number(r.issued_count),
    source: r.source === 'starter' ? 'starter' : 'grant',
    startsAt,
    expiresAt,
    active: startsAt <= now && (expiresAt === null || expiresAt > now),
  };
}

/** Parses `YYYY-MM-DD`, the last day a plan counts; it expires at the following midnight UTC. */
export function parseExpiryDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) throw new DomainError(`--expires must be a date written YYYY-MM-DD, got "${text}"`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new DomainError(`--expires "${text}" is not a real date`);
  }
  return t + DAY;
}

/** The yearly starter grant of decisions.md 10, created lazily and at most once per account and year. */
const starterDone = new Set<string>();

export async function ensureStarterPlan(s: Services, accountUid: number): Promise<void> {
  const grant = s.config.starterGrant;
  if (!grant) return;
  const now = s.clock.now();
  const year = new Date(now).getUTCFullYear();
  const memo = `${s.config.databaseUrl}|${accountUid}|${year}`;
  if (starterDone.has(memo)) return;
  await s.store.plans.insertOnce({
    id: randomId(),
    account_uid: accountUid,
    product_code: grant.productCode,
    total_count: grant.count,
    used_count: 0,
    issued_count: 0,
    source: 'starter',
    period: String(year),
    starts_at: Date.UTC(year, 0, 1),
    expires_at: Date.UTC(year + 1, 0, 1),
    created_at: now,
  });
  starterDone.add(memo);
}

export async function grantPlan(
  s: Services,
  accountUid: number,
  productCode: string,
  count: number,
  expiresAt: number | null,
): Promise<Plan> {
  if (!findProduct(productCode)) {
    throw new DomainError(
      `unknown product code "${productCode}"; known codes: ${PRODUCTS.map((p) => p.code).join(', ')}`,
    );
  }
  if (!Number.isSafeInteger(count) || count < 1 || count > 1_000_000) {
    throw new DomainError('--count must be a whole number from 1 to 1000000');
  }
  const now = s.clock.now();
  if (expiresAt !== null && expiresAt <= now) throw new DomainError('--expires lies in the past');
  const row: PlanRow = {
    id: randomId(),
    account_uid: accountUid,
    product_code: productCode,
    total_count: count,
    used_count: 0,
    issued_count: 0,
    source: 'grant',
    period: null,
    starts_at: now,
    expires_at: expiresAt,
    created_at: now,
  };
  await s.store.plans.insert(row);
  return toPlan(row, now);
}

/**
 * The account's plans. The API path makes sure this year's starter grant exists first; the admin CLI only
 * reads, so that the server's OPENCAS_STARTER_GRANT alone decides about starter grants.
 */
export async function listPlans(
  s: Services,
  accountUid: number,
  opts: { ensureStarter: boolean },
): Promise<Plan[]> {
  if (opts.ensureStarter) await ensureStarterPlan(s, accountUid);
  const now = s.clock.now();
  return (await s.store.plans.list(accountUid)).map((r) => toPlan(r, now));
}

/** DescribePackageState's three counters: the stored counters of the plans active now (decisions.md 8, 9). */
export async function packageState(s: Services, accountUid: number, productCode: string): Promise<Counters> {
  await ensureStarterPlan(s, accountUid);
  return s.store.plans.activeCounters(accountUid, productCode, s.clock.now());
}
