import { Worker } from 'node:worker_threads';

/**
 * The code of one key-generation thread. It is plain JavaScript given to the Worker as a string (eval), so
 * the same thread starts from the compiled dist/ and under tsx, with no file path to resolve. The thread
 * first lowers its own scheduling priority to the lowest (nice 19): on Linux niceness is per thread, and
 * /proc/thread-self names this thread's id. Pool refills then use only CPU that request handling leaves
 * idle. It then generates RSA keys synchronously (on this thread, not libuv's shared pool) and answers with
 * the private key as PKCS#1 PEM.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { generateKeyPairSync } = require('node:crypto');
const { readlinkSync } = require('node:fs');
const { setPriority } = require('node:os');
let niced = false;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) { setPriority(tid, 19); niced = true; }
} catch {}
parentPort.postMessage({ ready: true, niced });
parentPort.on('message', (job) => {
  try {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: job.bits,
      publicExponent: 0x10001,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    parentPort.postMessage({ id: job.id, pem: privateKey });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String(err && err.message || err) });
  }
});
`;

interface Job {
  id: number;
  bits: number;
  resolve: (pem: string) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

export class KeyThreadsClosed extends Error {
  constructor() {
    super('the key generation threads are closed');
  }
}

/**
 * A small pool of worker threads generating RSA keys at the lowest priority, for refilling the key pool in
 * the background. Threads start on first use (a server that never makes keys starts none), are unref'd (they
 * never keep the process alive) and are terminated by close().
 */
export class KeyThreads {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** True when the threads run at the lowest priority (Linux); reported by the benchmark. */
  niced: boolean | undefined;

  constructor(private readonly count: number) {}

  /** An RSA private key of `bits` bits as PKCS#1 PEM, made on a background thread. */
  generateRsa(bits: number): Promise<string> {
    if (this.closed) return Promise.reject(new KeyThreadsClosed());
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, bits, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.slots.length < this.count && this.queue.length > this.idleSlots()) this.spawn();
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ id: job.id, bits: job.bits });
    }
  }

  private idleSlots(): number {
    return this.slots.filter((s) => !s.job).length;
  }

  private spawn(): void {
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    worker.unref();
    const slot: Slot = { worker, job: undefined };
    this.slots.push(slot);
    worker.on(
      'message',
      (m: { ready?: boolean; niced?: boolean; id?: number; pem?: string; error?: string }) => {
        if (m.ready) {
          this.niced = m.niced;
          return;
        }
        const job = slot.job;
        if (!job || job.id !== m.id) return;
        slot.job = undefined;
        if (m.pem !== undefined) job.resolve(m.pem);
        else job.reject(new Error(m.error ?? 'key generation failed'));
        this.dispatch();
      },
    );
    const fail = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.job?.reject(this.closed ? new KeyThreadsClosed() : err);
      slot.job = undefined;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a key generation thread exited with code ${code}`)));
  }

  /**
   * Stops every thread and fails whatever was queued or under way at once, so a refill ends now. A thread in
   * the middle of a key cannot be interrupted inside OpenSSL; it exits as soon as that key is done (a
   * fraction of a second for RSA-2048) and the key is dropped. Close does not wait for that: the threads
   * are unref'd, so they never hold the process open.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new KeyThreadsClosed());
    for (const slot of this.slots) {
      slot.job?.reject(new KeyThreadsClosed());
      slot.job = undefined;
      slot.worker.terminate().catch(() => undefined);
    }
    return Promise.resolve();
  }
}
