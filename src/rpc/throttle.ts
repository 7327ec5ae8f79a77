import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

/** Throttling per (account, action), decisions.md 6. In-process for now; the cluster issue shares it. */
export class Throttle {
  private readonly limiters = new Map<string, RateLimiterMemory>();

  constructor(private readonly config: RateLimitConfig) {}

  limitFor(action: string): number {
    return (
      this.config.overrides[action] ??
      DOCUMENTED_LIMITS[action] ??
      this.config.overrides['default'] ??
      DEFAULT_LIMIT
    );
  }

  async take(action: string, accountUid: number): Promise<void> {
    if (!this.config.enabled) return;
    let limiter = this.limiters.get(action);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: this.limitFor(action), duration: 1 });
      this.limiters.set(action, limiter);
    }
    try {
      await limiter.consume(String(accountUid));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw Errors.throttled();
      throw err;
    }
  }
}
