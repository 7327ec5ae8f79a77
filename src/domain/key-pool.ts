import { createPrivateKey, createPublicKey } from 'node:crypto';
import { randomId } from '../ids.js';
import { KeyThreads, KeyThreadsClosed } from '../pki/key-threads.js';
import { generateKeyPair, type GeneratedKeyPair, type KeyAlgorithm } from '../pki/keys.js';
import type { Metrics } from '../metrics.js';
import type { MasterKey } from '../secrets.js';
import type { Store } from '../store/index.js';

export interface KeyPoolOptions {
  /** Keys kept per kind (algorithm and size); 0 disables the pool. */
  size: number;
  /** Background threads making keys. */
  threads: number;
}

const sealContext = (id: number) => `key-pool:${id}`;
const POOLED_RSA_SIZES = [2048, 3072, 4096];
const DEFAULT_SIZES: Record<KeyAlgorithm, number> = { RSA: 2048, EC: 256 };

/**
 * Service-generated keys (issue 6): a pool of RSA keys per size, made ahead of demand on low-priority worker
 * threads and kept in the database sealed with the master key, so that a restart finds it warm and every
 * server of a cluster draws on one pool.
 *
 * - A kind (RSA-2048, RSA-3072, ...) is pooled from its first use on: a server that never makes keys spends
 *   nothing. EC keys take about a millisecond and are always made on the spot.
 * - take() claims a key with one DELETE ... RETURNING, so a key is handed out at most once, and seals it
 *   again by its new owner's context. When the pool is empty (or off, or the database errs) the key is made
 *   on demand with node's asynchronous generator (libuv's pool, off the event loop): a request never fails
 *   for want of a pooled key.
 * - After a take, a kind below half its size is refilled to its size in the background, one key per thread
 *   at a time; each round counts the table again, so several servers filling together overshoot by at most
 *   a round each.
 * - A kind once pooled is recorded in the database; at every start (start()) each recorded kind is filled
 *   to its size in the background, so a restart after a burst does not wait for the next take to refill.
 */
/** take() after close(): the server is shutting down, so no new key is made (the order is retried later). */
export class KeyPoolClosed extends Error {
  constructor() {
    super('the server is shutting down: no new keys');
  }
}

/**
 * Service-made keys an order batch makes at once. Each on-demand RSA key holds a thread for a while and cannot
 * be called back, so a shutdown waits for at most this many.
 */
export const KEY_TAKES_AT_ONCE = 4;

export class KeyPool {
  private readonly threads: KeyThreads;
  private readonly filling = new Map<string, Promise<void>>();
  /** Kinds this process has recorded as pooled (markKind runs once per kind). */
  private readonly marked = new Set<string>();
  private closed = false;
  /** Where refill and claim failures are reported (the server's log); they never reach a request. */
  onError: (err: unknown) => void = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly masterKey: MasterKey,
    private readonly metrics: Metrics,
    readonly options: KeyPoolOptions,
  ) {
    this.threads = new KeyThreads(Math.max(1, options.threads));
  }

  /** True when keys of this kind come from the pool. */
  pooled(algorithm: KeyAlgorithm, size: number): boolean {
    return this.options.size > 0 && algorithm === 'RSA' && POOLED_RSA_SIZES.includes(size) && !this.closed;
  }

  /** A key pair nobody else has had: from the pool when it holds one, else made now, off the event loop. */
  async take(algorithm: KeyAlgorithm, size?: number): Promise<GeneratedKeyPair> {
    if (this.closed) throw new KeyPoolClosed();
    const bits = size ?? DEFAULT_SIZES[algorithm];
    // Only known kinds reach the pool, metric labels included; anything else meets the generator's checks.
    if (algorithm !== 'RSA' || !POOLED_RSA_SIZES.includes(bits)) return generateKeyPair(algorithm, bits);
    if (!this.pooled(algorithm, bits)) {
      this.metrics.keyPoolTakes.inc({ algorithm, size: String(bits), result: 'miss' });
      return generateKeyPair(algorithm, bits);
    }
    let pem: string | undefined;
    try {
      const row = await this.store.keyPool.claim(algorithm, bits);
      if (row) pem = this.masterKey.openString(row.key_sealed, sealContext(row.id));
    } catch (err) {
      this.onError(err);
    }
    this.metrics.keyPoolTakes.inc({ algorithm, size: String(bits), result: pem ? 'hit' : 'miss' });
    this.refill(algorithm, bits);
    if (pem === undefined) return generateKeyPair(algorithm, bits);
    const privateKey = createPrivateKey(pem);
    return { privateKeyPem: pem, privateKey, publicKey: createPublicKey(privateKey) };
  }

  /**
   * At server start: fills every kind pooled on this database before (by this server or another) to its
   * size, in the background on the key threads. A database that never pooled a key gets none.
   */
  start(): void {
    if (this.options.size <= 0 || this.closed) return;
    const run = this.store.keyPool
      .kinds()
      .then((kinds) => {
        for (const { algorithm, size } of kinds) {
          if (algorithm === 'RSA' && this.pooled(algorithm, size))
            this.refill(algorithm, size, this.options.size);
        }
      })
      .catch((err: unknown) => {
        if (!this.closed) this.onError(err);
      })
      .finally(() => this.filling.delete('start'));
    this.filling.set('start', run);
  }

  /**
   * Starts a background refill of a kind when it holds fewer than `lowWater` keys (by default below half
   * its size); nothing when one is running.
   */
  refill(algorithm: KeyAlgorithm, bits: number, lowWater = Math.ceil(this.options.size / 2)): void {
    const kind = `${algorithm}-${bits}`;
    if (this.filling.has(kind) || this.closed) return;
    const run = this.fillNow(algorithm, bits, lowWater)
      .catch((err: unknown) => {
        if (!(err instanceof KeyThreadsClosed) && !this.closed) this.onError(err);
      })
      .finally(() => this.filling.delete(kind));
    this.filling.set(kind, run);
  }

  /**
   * Fills a kind up to the pool size if it holds fewer than `lowWater` keys (default: any shortfall), and
   * resolves when done. The benchmark and operators use it to warm the pool ahead of demand. It waits for a
   * background refill of the same kind first, so this server never runs two fills of one kind at once (two
   * would each count the table and together overshoot the size).
   */
  async fill(algorithm: KeyAlgorithm, bits: number, lowWater = this.options.size): Promise<void> {
    const kind = `${algorithm}-${bits}`;
    for (let running = this.filling.get(kind); running; running = this.filling.get(kind)) await running;
    if (!this.pooled(algorithm, bits)) return;
    const run = this.fillNow(algorithm, bits, lowWater).finally(() => this.filling.delete(kind));
    this.filling.set(kind, run);
    await run;
  }

  private async fillNow(algorithm: KeyAlgorithm, bits: number, lowWater: number): Promise<void> {
    if (!this.pooled(algorithm, bits)) return;
    if (!this.marked.has(`${algorithm}-${bits}`)) {
      await this.store.keyPool.markKind(algorithm, bits);
      this.marked.add(`${algorithm}-${bits}`);
    }
    if ((await this.store.keyPool.count(algorithm, bits)) >= lowWater) return;
    while (!this.closed) {
      const missing = this.options.size - (await this.store.keyPool.count(algorithm, bits));
      if (missing <= 0) return;
      const round = Math.min(missing, Math.max(1, this.options.threads));
      await Promise.all(Array.from({ length: round }, () => this.makeOne(algorithm, bits)));
    }
  }

  private async makeOne(algorithm: KeyAlgorithm, bits: number): Promise<void> {
    const pem = await this.threads.generateRsa(bits);
    if (this.closed) return;
    const id = randomId();
    await this.store.keyPool.insert({
      id,
      algorithm,
      size: bits,
      key_sealed: this.masterKey.seal(pem, sealContext(id)),
      created_at: Date.now(),
    });
    this.metrics.keyPoolGenerated.inc({ algorithm, size: String(bits) });
  }

  /** Resolves when no refill is running (tests, benchmark). */
  async idle(): Promise<void> {
    while (this.filling.size > 0) await Promise.allSettled([...this.filling.values()]);
  }

  /** True when the background threads run at the lowest priority (Linux); undefined before the first. */
  get threadsNiced(): boolean | undefined {
    return this.threads.niced;
  }

  /** Stops refilling and the threads; keys already in the pool stay there for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.threads.close();
    await Promise.allSettled([...this.filling.values()]);
  }
}
