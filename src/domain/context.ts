import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Issuer } from '../issuance/issuer.js';
import type { KeyPool } from './key-pool.js';
import type { Metrics } from '../metrics.js';
import type { MasterKey } from '../secrets.js';
import type { Store } from '../store/index.js';
import type { CheckResult, ValidationTarget } from '../validation/index.js';
import type { OrderSignals } from './signals.js';

/** Domain-control validation as the order rules see it. */
export interface ValidationService {
  mode: 'real' | 'sandbox';
  check(target: ValidationTarget): Promise<CheckResult>;
  /**
   * The DNS host record, relative to the zone apex, where the TXT token goes (decisions.md 12): the one record
   * that proves every name of the order, or null when the names lie in different zones.
   */
  recordDomain(names: string[]): Promise<string | null>;
}

/** What the domain needs from the outside world, passed explicitly so tests can swap the clock. */
export interface Services {
  config: Config;
  store: Store;
  clock: Clock;
  masterKey: MasterKey;
  issuer: Issuer;
  validation: ValidationService;
  metrics: Metrics;
  /** Service-generated key pairs (a pool made ahead of demand, or on the spot). */
  keys: KeyPool;
  /** The request path and this process's order worker (prompt re-checks). */
  signals: OrderSignals;
}
