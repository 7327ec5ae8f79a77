import { randomUUID } from 'node:crypto';
import type { Services } from '../domain/context.js';
import {
  addEvent,
  issueOrders,
  passValidations,
  splitNames,
  type PassedValidation,
} from '../domain/orders.js';
import { findProduct } from '../domain/products.js';
import { PkiError } from '../pki/errors.js';
import type { OrderRow } from '../store/orders.js';

const LEASE_MS = 30_000;
/**
 * Orders claimed at a time. They are validated concurrently and those that pass are issued and stored
 * together (a few statements per batch): the batch, not the order, is what the database sees.
 */
const BATCH = 256;
const RETRY_MS = 5_000;
const LANES = 2;

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

  /**
   * One pass: claim what is due and work on it, batch after batch while full batches keep coming. Two lanes
   * run side by side, so that while one batch is being signed (on the signing threads) the other is being
   * validated or stored.
   */
  async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      await Promise.all(Array.from({ length: LANES }, () => this.drain()));
    } finally {
      this.running = false;
    }
    if (this.again && !this.stopped) {
      this.again = false;
      await this.tick();
    }
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped) {
        const orders = await this.s.store.orders.claimDue(this.owner, this.s.clock.now(), LEASE_MS, BATCH);
        if (orders.length > 0) await this.track(this.work(orders));
        if (orders.length < BATCH) break;
      }
    } catch (err) {
      this.onError(err);
    }
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  /** Works on claimed orders and releases their leases; `retry` holds the orders to look at again soon. */
  private async work(orders: OrderRow[]): Promise<void> {
    const retry = new Set<number>();
    try {
      const live = orders.filter((o) => o.deleted_at === null);
      const passed = await this.validateAll(
        live.filter((o) => o.status === 'domain_verify'),
        retry,
      );
      const due = [...live.filter((o) => o.status === 'process'), ...passed];
      const dv: OrderRow[] = [];
      for (const order of due) {
        if (findProduct(order.product_code)?.validation === 'OV' && order.approval !== 'approved') {
          await this.guard(order.id, retry, () => this.vet(order));
        } else {
          dv.push(order);
        }
      }
      await this.issueAll(dv, retry);
    } catch (err) {
      this.onError(err);
      for (const o of orders) retry.add(o.id);
    } finally {
      const now = this.s.clock.now();
      const ids = orders.map((o) => o.id);
      await this.s.store.orders
        .releaseLeases(
          ids.filter((id) => !retry.has(id)),
          this.owner,
        )
        .catch((err: unknown) => this.onError(err));
      for (const id of retry) {
        await this.s.store.orders
          .releaseLease(id, this.owner, { next_check_at: now + RETRY_MS })
          .catch((err: unknown) => this.onError(err, id));
      }
      for (const id of ids) this.s.signals.worked(id);
    }
  }

  private async guard(id: number, retry: Set<number>, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.onError(err, id);
      retry.add(id);
    }
  }

  /**
   * Checks every waiting order concurrently. Failures and expiries are written order by order; the orders
   * that passed are recorded together and returned as they now stand (in `process`).
   */
  private async validateAll(orders: OrderRow[], retry: Set<number>): Promise<OrderRow[]> {
    const outcomes = await Promise.all(
      orders.map(async (order) => {
        try {
          return await this.validate(order);
        } catch (err) {
          this.onError(err, order.id);
          retry.add(order.id);
          return undefined;
        }
      }),
    );
    const passed = outcomes.filter((o) => o !== undefined);
    if (passed.length === 0) return [];
    const at = Math.max(...passed.map((p) => p.at));
    let moved: Set<number>;
    try {
      moved = await passValidations(this.s, passed, at, 'worker');
    } catch (err) {
      this.onError(err);
      for (const p of passed) retry.add(p.order.id);
      return [];
    }
    return passed
      .filter((p) => moved.has(p.order.id))
      .map(({ order }) => ({
        ...order,
        status: 'process' as const,
        validated_names: order.names,
        check_attempts: Number(order.check_attempts) + 1,
        last_check_at: at,
        updated_at: at,
        next_check_at: at,
      }));
  }

  /** Issues and stores together; when the batch cannot be stored, each order is tried alone. */
  private async issueAll(orders: OrderRow[], retry: Set<number>): Promise<void> {
    if (orders.length === 0) return;
    const started = performance.now();
    let outcome;
    try {
      outcome = await issueOrders(this.s, orders, 'worker');
    } catch (err) {
      if (orders.length === 1) {
        this.onError(err, orders[0]!.id);
        retry.add(orders[0]!.id);
        return;
      }
      for (const order of orders) await this.issueAll([order], retry);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    outcome.issued.forEach(() => this.s.metrics.issuance.observe(seconds));
    for (const [id, err] of outcome.failed) {
      const order = orders.find((o) => o.id === id)!;
      if (err instanceof PkiError) {
        await this.guard(id, retry, () =>
          this.fail(order, 'process', `the certificate cannot be issued: ${err.message}`),
        );
      } else {
        this.onError(err, id);
        retry.add(id);
      }
    }
  }

  /**
   * Moves an order from `from` to `verify_fail` with the reason in its history, unless something else (a
   * cancel, another server) moved it first. Used when the validation window closes, and when the CA's profile
   * refuses what the order would certify (its CSR's key, say: one an older version accepted), which no retry
   * would change; a delete gives the unit back in both cases.
   */
  private async fail(order: OrderRow, from: 'domain_verify' | 'process', why: string): Promise<void> {
    const s = this.s;
    const now = s.clock.now();
    if (
      await s.store.orders.update(order.id, [from], {
        status: 'verify_fail',
        next_check_at: null,
        updated_at: now,
      })
    )
      await addEvent(s, order, 'state', 'worker', why, from, 'verify_fail');
  }

  /** One order's checks; the order when every name passed (written later with others), else undefined. */
  private async validate(order: OrderRow): Promise<(PassedValidation & { at: number }) | undefined> {
    const s = this.s;
    const now = s.clock.now();
    if (now >= Number(order.validation_deadline)) {
      await this.fail(order, 'domain_verify', 'domain validation did not pass within the validation window');
      return undefined;
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
      results.push(`${name}: ${r.ok ? 'passed' : 'not passed'} (${r.detail})`);
      if (r.ok) validated.add(name);
    }
    const checkedAt = s.clock.now();
    const detail = `${order.validate_type} attempt ${attempt}: ${results.join('; ')}`;
    if (names.every((n) => validated.has(n))) return { order, detail, at: checkedAt };
    await addEvent(s, order, 'validation', 'worker', detail);
    await s.store.orders.update(order.id, ['domain_verify'], {
      validated_names: names.filter((n) => validated.has(n)).join(','),
      check_attempts: attempt,
      last_check_at: checkedAt,
      updated_at: checkedAt,
      next_check_at: checkedAt + backoffMs(attempt),
    });
    return undefined;
  }

  /** An OV order in `process` that the operator has not approved: it waits, or fails when rejected. */
  private async vet(order: OrderRow): Promise<void> {
    const s = this.s;
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
      return;
    }
    await s.store.orders.update(order.id, ['process'], { next_check_at: null });
  }
}
