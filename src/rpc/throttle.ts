import type { Redis } from 'ioredis';
import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config.js';
import { Errors } from './errors.js';

/** Documented per-account limits, calls per second (api.md 1.4); every other action gets the default. */
export const DOCUMENTED_LIMITS: Readonly<Record<string, number>> = {
  CancelOrderRequest: 100,
  CancelCertificateForPackageRequest: 10,
  ListUserCertificateOrder: 10,
  UploadUserCertificate: 100,
  GetUserCertificateDetail: 100,
  DeleteUserCertificate: 100,
  ListCert: 10,
  ListCertWarehouse: 10,
  GetCertWarehouseQuota: 10,
  DeletePCACert: 10,
  Encrypt: 10,
  Decrypt: 10,
  Sign: 1000,
  Verify: 1000,
};
export const DEFAULT_LIMIT = 10;

/** Where the counters live: this process, or shared by a cluster through PostgreSQL or Redis. */
export type ThrottleBackend =
  { kind: 'memory' } | { kind: 'postgres'; pool: pg.Pool } | { kind: 'redis'; client: Redis };

/**
 * Throttling per (account, action), decisions.md 6. With a shared backend every server of a cluster counts
 * against the same budget; if that backend fails, each server falls back to counting on its own.
 */
export class Throttle {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly backend: ThrottleBackend = { kind: 'memory' },
  ) {}

  limitFor(action: string): number {
    return (
      this.config.overrides[action] ??
      DOCUMENTED_LIMITS[action] ??
      this.config.overrides['default'] ??
      DEFAULT_LIMIT
    );
  }

  private limiter(action: string): RateLimiterAbstract {
    let l = this.limiters.get(action);
    if (!l) {
      const points = this.limitFor(action);
      const base = { points, duration: 1, keyPrefix: `opencas_${action}` };
      const insuranceLimiter = new RateLimiterMemory({ points, duration: 1 });
      const b = this.backend;
      if (b.kind === 'redis') {
        l = new RateLimiterRedis({ ...base, storeClient: b.client, insuranceLimiter });
      } else if (b.kind === 'postgres') {
        // The table comes from the store's migrations (0004), so no server creates it lazily.
        l = new RateLimiterPostgres({
          ...base,
          storeClient: b.pool,
          storeType: 'pool',
          tableName: 'opencas_rate_limits',
          tableCreated: true,
          insuranceLimiter,
        });
      } else {
        l = new RateLimiterMemory(base);
      }
      this.limiters.set(action, l);
    }
    return l;
  }

  async take(action: string, accountUid: number): Promise<void> {
    if (!this.config.enabled) return;
    const limiter = this.limiter(action);
    try {
      await limiter.consume(String(accountUid));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw Errors.throttled();
      throw err;
    }
  }
}
