import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { MasterKey } from '../secrets.js';
import type { Store } from '../store/index.js';

/** What the domain needs from the outside world, passed explicitly so tests can swap the clock. */
export interface Services {
  config: Config;
  store: Store;
  clock: Clock;
  masterKey: MasterKey;
}
