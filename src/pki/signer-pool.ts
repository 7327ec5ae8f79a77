/**
 * Signing threads: leaves are built and signed in worker threads, so the main thread (HTTP, SQL) is not
 * what limits issuance, and a batch signs on several cores. Started on first use; the threads do not keep
 * the process alive while idle, and close() ends them. A thread that dies fails its jobs and the pool signs
 * on the calling thread from then on.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PkiError } from './errors.js';
import type { BuiltLeaf, LeafFields, LeafTemplate } from './leaf.js';

export interface SignerWorkerData {
  issuerNameDer: Uint8Array;
  issuerCommonName: string;
  authorityKeyId: Uint8Array;
  keyPkcs8Der: Uint8Array;
}

export interface SignerJob {
  id: number;
  fields: LeafFields[];
}

export interface SignerReply {
  id: number;
  /** Each leaf, or why it failed: `refused` when the profile refused its fields (a PkiError), not a fault. */
  leaves: Array<BuiltLeaf | { error: string; refused: boolean }>;
}

type Result = BuiltLeaf | Error;

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (r: Result[]) => void; reject: (e: Error) => void }>;
}

/**
 * Starts the worker's module beside this one: signer-worker.js from dist/; under tsx (tests, the benchmark)
 * signer-worker.ts, through tsx's loader, which threads do not inherit.
 */
function startWorker(workerData: SignerWorkerData): Worker {
  const here = fileURLToPath(import.meta.url);
  const file = path.join(path.dirname(here), `signer-worker${path.extname(here)}`);
  if (path.extname(here) !== '.ts') return new Worker(file, { workerData });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const url = JSON.stringify(pathToFileURL(file).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${url}); });`, {
    eval: true,
    workerData,
  });
}

/** The bytes in an ArrayBuffer of their own. */
export function compact(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A BuiltLeaf as it arrives from a thread (Buffers become Uint8Arrays on the way). */
function revive(leaf: BuiltLeaf): BuiltLeaf {
  const der = leaf.der as Uint8Array;
  return { ...leaf, der: Buffer.from(der.buffer, der.byteOffset, der.byteLength) };
}

export class SignerPool {
  private threads: Thread[] | undefined;
  private failed = false;
  private closed = false;
  private nextId = 1;
  /** Leaves signed on the threads and on the calling thread so far. */
  readonly signed = { threads: 0, here: 0 };

  constructor(
    private readonly size: number,
    private readonly data: SignerWorkerData,
    /** The same template on this thread: used when there are no threads (size 0, or after a failure). */
    private readonly local: LeafTemplate,
  ) {}

  get threadCount(): number {
    return this.size;
  }

  private start(): Thread[] {
    if (this.threads) return this.threads;
    this.threads = Array.from({ length: this.size }, () => {
      const worker = startWorker(this.data);
      const thread: Thread = { worker, pending: new Map() };
      worker.unref();
      worker.on('message', (reply: SignerReply) => {
        const p = thread.pending.get(reply.id);
        if (!p) return;
        thread.pending.delete(reply.id);
        if (thread.pending.size === 0) worker.unref();
        this.signed.threads += reply.leaves.length;
        p.resolve(
          reply.leaves.map((l) =>
            'error' in l ? (l.refused ? new PkiError(l.error) : new Error(l.error)) : revive(l),
          ),
        );
      });
      const fail = (err: Error) => {
        if (!this.closed) this.failed = true;
        for (const p of thread.pending.values()) p.reject(err);
        thread.pending.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`a signing thread exited (code ${code})`)));
      return thread;
    });
    return this.threads;
  }

  private buildLocally(fields: LeafFields[]): Result[] {
    this.signed.here += fields.length;
    return fields.map((f) => {
      try {
        return this.local.build(f);
      } catch (err) {
        return err as Error;
      }
    });
  }

  /** Builds and signs the leaves, spread over the threads; each result is the leaf or why it failed. */
  async build(fields: LeafFields[]): Promise<Result[]> {
    if (fields.length === 0) return [];
    if (this.size === 0 || this.failed || this.closed) return this.buildLocally(fields);
    const threads = this.start();
    const per = Math.ceil(fields.length / threads.length);
    const parts = await Promise.all(
      threads.map((thread, i) => {
        const slice = fields.slice(i * per, (i + 1) * per);
        if (slice.length === 0) return Promise.resolve([] as Result[]);
        const id = this.nextId++;
        return new Promise<Result[]>((resolve, reject) => {
          thread.pending.set(id, { resolve, reject });
          thread.worker.ref();
          // Small Buffers are views of a shared 8 KiB slab, and a message would copy the whole slab: send
          // compact copies.
          const job: SignerJob = {
            id,
            fields: slice.map((f) => ({ ...f, serial: compact(f.serial), spki: compact(f.spki) })),
          };
          thread.worker.postMessage(job);
        }).catch(() => this.buildLocally(slice));
      }),
    );
    return parts.flat();
  }

  /** Ends the threads (their pending jobs are signed here instead). */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads ?? [];
    this.threads = undefined;
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}
