/**
 * In-process signals between the request path and this process's order worker: a poll that wants an order
 * checked now wakes the worker instead of waiting for its next tick, and learns as soon as the worker is done
 * with the order. Other servers of a cluster never see these signals; callers fall back to re-reading the
 * store, so a signal only ever saves time.
 */
export class OrderSignals {
  private readonly waiters = new Map<number, Set<() => void>>();
  private waker: (() => void) | undefined;

  /** The worker registers how to run a pass at once. */
  onWake(fn: (() => void) | undefined): void {
    this.waker = fn;
  }

  /** Asks this process's worker (if it runs one) for a pass now. */
  wake(): void {
    this.waker?.();
  }

  /** The worker has finished a piece of work on the order. */
  worked(orderId: number): void {
    const set = this.waiters.get(orderId);
    if (!set) return;
    this.waiters.delete(orderId);
    for (const resolve of set) resolve();
  }

  /** Resolves when the worker next finishes work on the order, or after `ms`, whichever comes first. */
  next(orderId: number, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(orderId);
      if (!set) this.waiters.set(orderId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(orderId) === set) this.waiters.delete(orderId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }
}
