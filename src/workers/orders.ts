import { randomUUID } from 'node:crypto';
import type { Services } from '../domain/context.js';
import { addEvent, issueOrder, splitNames } from '../domain/orders.js';
import { findProduct } from '../domain/products.js';
import type { OrderRow } from '../store/orders.js';

const LEASE_MS = 30_000;
const BATCH = 16;

/** Back-off between validation attempts: 5 s, 10 s, 20 s … capped at 10 minutes. */
export function backoffMs(attempt: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempt - 1), 600_000);
}

/**
 * Background work on orders: validation with back-off, issuance, the validation window. Orders are leased
 * so that each is worked on by one worker at a time; a lease that runs out (a dead server) is taken over.
 */
export class OrderWorker {
  private readonly owner = `worker-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** A wake-up came during a pass: run another one right after it. */
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly s: Services,
    private readonly onError: (err: unknown, orderId?: number) => void,
  ) {}

  start(): void {
    const interval = this.s.config.workerIntervalMs;
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
    // A poll that asks for a prompt re-check wakes the worker at once instead of waiting for the next tick.
    this.s.signals.onWake(() => this.wake());
    void this.tick();
  }

  private wake(): void {
    if (this.running) this.again = true;
    else void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.s.signals.onWake(undefined);
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** One pass: claim what is due and work on it concurrently. */
  async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      const ids = await this.s.store.orders.claimDue(this.owner, this.s.clock.now(), LEASE_MS, BATCH);
      await Promise.allSettled(ids.map((id) => this.track(this.work(id))));
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
    if (this.again && !this.stopped) {
      this.again = false;
      await this.tick();
    }
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private async work(id: number): Promise<void> {
    let release: Partial<OrderRow> = {};
    try {
      const order = await this.s.store.orders.findAny(id);
      if (!order || order.deleted_at !== null) return;
      if (order.status === 'domain_verify') release = await this.validate(order);
      else if (order.status === 'process') release = await this.process(order);
    } catch (err) {
      this.onError(err, id);
      release = { next_check_at: this.s.clock.now() + 5_000 };
    } finally {
      await this.s.store.orders
        .releaseLease(id, this.owner, release)
        .catch((err: unknown) => this.onError(err, id));
      this.s.signals.worked(id);
    }
  }

  private async validate(order: OrderRow): Promise<Partial<OrderRow>> {
    const s = this.s;
    const now = s.clock.now();
    if (now >= Number(order.validation_deadline)) {
      if (
        await s.store.orders.update(order.id, ['domain_verify'], {
          status: 'verify_fail',
          next_check_at: null,
          updated_at: now,
        })
      ) {
        await addEvent(
          s,
          order,
          'state',
          'worker',
          'domain validation did not pass within the validation window',
          'domain_verify',
          'verify_fail',
        );
      }
      return {};
    }
    const names = splitNames(order.names);
    const validated = new Set(splitNames(order.validated_names));
    const attempt = Number(order.check_attempts) + 1;
    const results: string[] = [];
    for (const name of names) {
      if (validated.has(name)) continue;
      const r = await s.validation.check({
        name,
        method: order.validate_type,
        token: order.token,
        since: Number(order.created_at),
      });
      s.metrics.validations.inc({ method: order.validate_type, result: r.ok ? 'passed' : 'failed' });
      results.push(`${name}: ${r.ok ? 'passed' : 'failed'} (${r.detail})`);
      if (r.ok) validated.add(name);
    }
    const checkedAt = s.clock.now();
    await addEvent(
      s,
      order,
      'validation',
      'worker',
      `${order.validate_type} attempt ${attempt}: ${results.join('; ')}`,
    );
    const allPassed = names.every((n) => validated.has(n));
    const set: Partial<OrderRow> = {
      validated_names: names.filter((n) => validated.has(n)).join(','),
      check_attempts: attempt,
      last_check_at: checkedAt,
      updated_at: checkedAt,
    };
    if (!allPassed) {
      await s.store.orders.update(order.id, ['domain_verify'], {
        ...set,
        next_check_at: checkedAt + backoffMs(attempt),
      });
      return {};
    }
    for (const name of names) {
      await s.store.orders.recordValidation({
        account_uid: order.account_uid,
        name,
        method: order.validate_type,
        validated_at: checkedAt,
      });
    }
    // A cancel that landed while we were checking wins: the conditional update does nothing.
    if (
      await s.store.orders.update(order.id, ['domain_verify'], {
        ...set,
        status: 'process',
        next_check_at: checkedAt,
      })
    ) {
      await addEvent(
        s,
        order,
        'state',
        'worker',
        'domain control validated for every name',
        'domain_verify',
        'process',
      );
      const fresh = await s.store.orders.findAny(order.id);
      if (fresh) return this.process(fresh);
    }
    return {};
  }

  private async process(order: OrderRow): Promise<Partial<OrderRow>> {
    const s = this.s;
    const product = findProduct(order.product_code)!;
    if (product.validation === 'OV') {
      if (order.approval === 'pending') {
        await s.store.orders.update(order.id, ['process'], { next_check_at: null });
        return {};
      }
      if (order.approval === 'rejected') {
        const now = s.clock.now();
        if (
          await s.store.orders.update(order.id, ['process'], {
            status: 'verify_fail',
            next_check_at: null,
            updated_at: now,
          })
        ) {
          await addEvent(s, order, 'state', 'worker', 'rejected in vetting', 'process', 'verify_fail');
        }
        return {};
      }
    }
    const stop = s.metrics.issuance.startTimer();
    if (await issueOrder(s, order, 'worker')) stop();
    return {};
  }
}
