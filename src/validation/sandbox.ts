import type { CheckResult, ValidationTarget } from './index.js';

/** Pairs remembered at most; the oldest are forgotten first (they have long passed). */
const MAX_REMEMBERED = 100_000;

/**
 * Sandbox mode (decisions 14): no network access; a check passes once `delayMs` has elapsed since the
 * application was submitted (`target.since`, else since this validator first saw the (name, token) pair),
 * and fails with the remaining wait before that.
 */
export class SandboxValidator {
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly delayMs: number,
    private readonly now: () => number,
  ) {}

  async check(target: ValidationTarget): Promise<CheckResult> {
    const key = `${target.name}\n${target.token}`;
    const t = this.now();
    let first = this.firstSeen.get(key);
    if (first === undefined) {
      first = t;
      if (this.firstSeen.size >= MAX_REMEMBERED) {
        const oldest = this.firstSeen.keys().next();
        if (!oldest.done) this.firstSeen.delete(oldest.value);
      }
      this.firstSeen.set(key, first);
    }
    // Measured from the stored submission time when given, so every server of a cluster (and a restarted
    // one) agrees on how long the order has waited.
    const waited = t - (target.since ?? first);
    if (waited >= this.delayMs) return { ok: true, detail: 'sandbox mode: passed without checking' };
    return { ok: false, detail: `sandbox mode: waiting ${this.delayMs - waited} ms` };
  }
}
