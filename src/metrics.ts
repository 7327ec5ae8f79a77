import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from './store/index.js';

/**
 * Prometheus metrics, one registry per server. Label sets are bounded: actions are the known ones (others
 * count as `unknown`), error codes come from the catalogue, product codes and states from fixed lists; no
 * account ids.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'action' | 'code'>;
  readonly latency: Histogram<'action'>;
  readonly validations: Counter<'method' | 'result'>;
  readonly issuance: Histogram;
  readonly keyPoolTakes: Counter<'algorithm' | 'size' | 'result'>;
  readonly keyPoolGenerated: Counter<'algorithm' | 'size'>;

  constructor(
    private readonly knownActions: ReadonlySet<string>,
    store: Store,
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'opencas_requests_total',
      help: 'API requests by action and result code (OK for success)',
      labelNames: ['action', 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'opencas_request_duration_seconds',
      help: 'API request latency by action',
      labelNames: ['action'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.validations = new Counter({
      name: 'opencas_validation_attempts_total',
      help: 'Domain-control validation checks by method and result',
      labelNames: ['method', 'result'],
      registers,
    });
    this.issuance = new Histogram({
      name: 'opencas_issuance_duration_seconds',
      help: 'Time to build, sign and store one certificate',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.keyPoolTakes = new Counter({
      name: 'opencas_key_pool_takes_total',
      help: 'Service-generated keys handed out, by kind: hit (from the pool) or miss (made on demand)',
      labelNames: ['algorithm', 'size', 'result'],
      registers,
    });
    this.keyPoolGenerated = new Counter({
      name: 'opencas_key_pool_generated_total',
      help: 'Keys made ahead of demand by this server for the pool, by kind',
      labelNames: ['algorithm', 'size'],
      registers,
    });
    new Gauge({
      name: 'opencas_key_pool_keys',
      help: 'Keys waiting in the pool (shared by every server on the database), by kind',
      labelNames: ['algorithm', 'size'],
      registers,
      async collect() {
        this.reset();
        for (const r of await store.keyPool.counts()) {
          this.set({ algorithm: r.algorithm, size: String(r.size) }, r.n);
        }
      },
    });
    new Gauge({
      name: 'opencas_orders',
      help: 'Orders by state (not deleted)',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        for (const [state, n] of Object.entries(await store.orders.countByStatus())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'opencas_plan_remaining',
      help: 'Units left in active plans, all accounts together, by product code',
      labelNames: ['product_code'],
      registers,
      async collect() {
        this.reset();
        for (const [code, n] of Object.entries(await store.plans.remainingByProduct(Date.now()))) {
          this.set({ product_code: code }, n);
        }
      },
    });
  }

  observeRequest(action: string | undefined, code: string | undefined, seconds: number): void {
    const a = action && this.knownActions.has(action) ? action : 'unknown';
    this.requests.inc({ action: a, code: code ?? 'OK' });
    this.latency.observe({ action: a }, seconds);
  }
}
