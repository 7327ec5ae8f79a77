/**
 * Issuance throughput (issue 6, item 3): certificates issued and stored per second from client CSRs (P-256)
 * with an embedded P-256 CA, sandbox validation without delay, on SQLite and (when reachable) PostgreSQL,
 * beside the raw `crypto.sign` rate of the same CA key measured in the same run.
 *
 * Applications are submitted through the domain layer (createOrder, as the API actions call it), not HTTP:
 * the HTTP front end is measured by the API section. The clock starts when the order worker starts, with
 * every application waiting, and stops when the last one is stored as issued. A random sample of the stored
 * certificates must pass `openssl verify` against the served chain, or the section fails.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { ensureRootAccount } from '../src/domain/accounts.js';
import type { Services } from '../src/domain/context.js';
import { createOrder } from '../src/domain/orders.js';
import { grantPlan } from '../src/domain/plans.js';
import { DEFAULT_PRODUCT_CODE, findProduct } from '../src/domain/products.js';
import { CertificateAuthority, createCa, type CaFiles } from '../src/pki/ca.js';
import { parseCsr } from '../src/pki/csr.js';
import { oid, sequence, tlv, TAG } from '../src/pki/der.js';
import { describeSpki } from '../src/pki/leaf.js';
import { derToPem } from '../src/pki/pem.js';
import { openServices } from '../src/runtime.js';
import { OrderWorker } from '../src/workers/orders.js';
import { round, type BenchOptions, type SectionResult, type TargetCheck } from './common.js';

const TARGET = 5_000;
const PG_URL = process.env['OPENCAS_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A client's PKCS#10 request for one name, P-256, built with the DER writer (the client side of the bench). */
function clientCsr(name: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const subject = sequence(tlv(TAG.SET, sequence(oid('2.5.4.3'), tlv(TAG.UTF8_STRING, Buffer.from(name)))));
  const san = sequence(tlv(0x82, Buffer.from(name)));
  const extensionRequest = sequence(
    oid('1.2.840.113549.1.9.14'),
    tlv(TAG.SET, sequence(sequence(oid('2.5.29.17'), tlv(TAG.OCTET_STRING, san)))),
  );
  const info = sequence(
    Buffer.from([TAG.INTEGER, 1, 0]),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa0, extensionRequest),
  );
  const signature = sign('sha256', info, privateKey);
  const der = sequence(
    info,
    sequence(oid('1.2.840.10045.4.3.2')),
    tlv(TAG.BIT_STRING, Buffer.from([0]), signature),
  );
  return derToPem(der, 'CERTIFICATE REQUEST');
}

/** Operations per second of `fn` over `ms` milliseconds. */
function rate(ms: number, fn: () => void): number {
  const start = performance.now();
  let n = 0;
  let elapsed = 0;
  do {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return n / (elapsed / 1000);
}

/** The raw signature rate of the CA key (a 400-byte message, about a TBSCertificate's size), one thread. */
function signRate(key: KeyObject, ms: number): number {
  const message = randomBytes(400);
  return rate(ms, () => sign('sha256', message, key));
}

/** The same, on `threads` worker threads at once: the ceiling for the server's signing threads. */
async function threadedSignRate(pkcs8Pem: string, threads: number, ms: number): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createPrivateKey, randomBytes, sign } = require('node:crypto');
    const key = createPrivateKey(workerData.pem);
    const message = randomBytes(400);
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < workerData.ms) { for (let i = 0; i < 100; i++) sign('sha256', message, key); n += 100; }
    parentPort.postMessage(n / ((performance.now() - start) / 1000));`;
  const rates = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { pem: pkcs8Pem, ms } });
          w.once('message', (r: number) => resolve(r));
          w.once('error', reject);
        }),
    ),
  );
  return rates.reduce((a, b) => a + b, 0);
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * OPENCAS_BENCH_PROFILE=<dir>: a CPU profile of the issuance phase alone (worker start to last certificate),
 * written as <dir>/issuance-<store>.cpuprofile for Chrome DevTools or any .cpuprofile viewer.
 */
async function startProfile(): Promise<{ stop(name: string): Promise<void> } | undefined> {
  const dir = process.env['OPENCAS_BENCH_PROFILE'];
  if (!dir) return undefined;
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

interface StoreRun {
  store: 'SQLite' | 'PostgreSQL';
  orders: number;
  submitSeconds: number;
  issueSeconds: number;
  certificatesPerSecond: number;
  /** crypto.sign with the CA key, one thread, measured just before this store's run. */
  signPerSecond: number;
  ratioToSign: number;
  signingThreads: number;
  verifiedSample: number;
  workerErrors: number;
}

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function pgAdmin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

async function runStore(
  store: StoreRun['store'],
  n: number,
  ca: { dir: string; key: KeyObject; files: CaFiles },
  quick: boolean,
): Promise<StoreRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opencas-bench-issuance-'));
  const schema = `opencas_bench_${randomBytes(6).toString('hex')}`;
  let databaseUrl: string | undefined;
  if (store === 'PostgreSQL') {
    await pgAdmin(`create schema ${schema}`);
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
  }
  let s: Services | undefined;
  let worker: OrderWorker | undefined;
  try {
    const config = loadConfig(
      {
        dataDir,
        logLevel: 'silent',
        validation: 'sandbox',
        sandboxDelayMs: '0',
        starterGrant: 'off',
        caCertFile: path.join(ca.dir, 'intermediate.pem'),
        caKeyFile: path.join(ca.dir, 'intermediate.key'),
        caRootFile: path.join(ca.dir, 'root.pem'),
        ...(databaseUrl ? { databaseUrl } : {}),
      },
      {},
    );
    s = await openServices(config);
    const services = s;
    const account = await ensureRootAccount(services);
    await grantPlan(services, account.uid, DEFAULT_PRODUCT_CODE, n, null);
    const product = findProduct(DEFAULT_PRODUCT_CODE)!;

    // Client CSRs, each with its own key and name (made before the clock, as clients would).
    const run = randomBytes(3).toString('hex');
    const csrs = Array.from({ length: n }, (_, i) => parseCsr(clientCsr(`h${i}.r${run}.bench.example`)));

    // Submit every application as CreateCertificateWithCsrRequest would (a few at a time).
    const submitStart = performance.now();
    const orderIds: number[] = [];
    const submitters = store === 'PostgreSQL' ? 8 : 1;
    let next = 0;
    await Promise.all(
      Array.from({ length: submitters }, async () => {
        while (next < n) {
          const csr = csrs[next++]!;
          orderIds.push(
            await createOrder(services, account.uid, 'bench', {
              product,
              names: [csr.commonName],
              validateType: 'DNS',
              csr,
              contact: { email: 'bench@example.test' },
              tags: [],
            }),
          );
        }
      }),
    );
    const submitSeconds = (performance.now() - submitStart) / 1000;

    const signPerSecond = signRate(ca.key, quick ? 300 : 2_000);

    // The clock runs from the worker's start to the last certificate stored.
    let workerErrors = 0;
    worker = new OrderWorker(services, () => workerErrors++);
    const profile = await startProfile();
    const start = performance.now();
    worker.start();
    for (;;) {
      // The plan's issued counter moves in the transaction that stores the certificates: one row to read.
      const { issuedCount } = await services.store.plans.activeCounters(
        account.uid,
        DEFAULT_PRODUCT_CODE,
        Date.now(),
      );
      if (issuedCount >= n) break;
      if (performance.now() - start > 300_000)
        throw new Error(`issuance on ${store} did not finish in 5 minutes`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const issueSeconds = (performance.now() - start) / 1000;
    await worker.stop();
    worker = undefined;
    await profile?.stop(`issuance-${store}`);

    // Every order issued once, counted once; a random sample verifies against the served chain.
    const counters = await services.store.plans.activeCounters(account.uid, DEFAULT_PRODUCT_CODE, Date.now());
    if (counters.issuedCount !== n)
      throw new Error(`the plan counts ${counters.issuedCount} issued, not ${n}`);
    const sample = quick ? 5 : 25;
    const verifyDir = mkdtempSync(path.join(os.tmpdir(), 'opencas-bench-verify-'));
    try {
      const root = path.join(verifyDir, 'root.pem');
      const chain = path.join(verifyDir, 'chain.pem');
      writeFileSync(root, services.issuer.rootPem);
      writeFileSync(chain, services.issuer.chainPem);
      for (let i = 0; i < sample; i++) {
        const orderId = orderIds[Math.floor(Math.random() * orderIds.length)]!;
        const order = await services.store.orders.findAny(orderId);
        const cert =
          order?.certificate_id == null
            ? undefined
            : await services.store.certificates.findAny(Number(order.certificate_id));
        if (!cert) throw new Error(`order ${orderId} has no stored certificate`);
        const leaf = path.join(verifyDir, `leaf-${i}.pem`);
        writeFileSync(leaf, cert.cert_pem);
        let out: string;
        try {
          out = openssl(['verify', '-purpose', 'sslserver', '-CAfile', root, '-untrusted', chain, leaf]);
        } catch (err) {
          throw new Error(
            `openssl verify failed for order ${orderId}: ${(err as { stderr?: string }).stderr}`,
          );
        }
        if (out.trim() !== `${leaf}: OK`) throw new Error(`openssl verify: ${out}`);
        if (cert.chain_pem !== services.issuer.chainPem)
          throw new Error('a stored chain is not the served chain');
      }
    } finally {
      rmSync(verifyDir, { recursive: true, force: true });
    }
    const certificatesPerSecond = n / issueSeconds;
    return {
      store,
      orders: n,
      submitSeconds: round(submitSeconds, 2),
      issueSeconds: round(issueSeconds, 3),
      certificatesPerSecond: round(certificatesPerSecond),
      signPerSecond: round(signPerSecond),
      ratioToSign: round(certificatesPerSecond / signPerSecond, 3),
      signingThreads: services.config.signingThreads,
      verifiedSample: sample,
      workerErrors,
    };
  } finally {
    await worker?.stop();
    await s?.issuer.close();
    await s?.store.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await pgAdmin(`drop schema if exists ${schema} cascade`).catch(() => undefined);
  }
}

export async function issuanceThroughput({ quick }: BenchOptions): Promise<SectionResult> {
  const n = Number(process.env['OPENCAS_BENCH_ISSUANCE_ORDERS'] ?? (quick ? 300 : 8_000));
  const caDir = mkdtempSync(path.join(os.tmpdir(), 'opencas-bench-ca-'));
  try {
    const files = await createCa({ algorithm: 'EC', name: 'OpenCAS Bench', now: Date.now() });
    writeFileSync(path.join(caDir, 'root.pem'), files.rootCertPem);
    writeFileSync(path.join(caDir, 'intermediate.pem'), files.intermediateCertPem);
    writeFileSync(path.join(caDir, 'intermediate.key'), files.intermediateKeyPem, { mode: 0o600 });
    const key = createPrivateKey(files.intermediateKeyPem);

    // The builder alone (template + signature + PEM + fingerprints), same key, same thread: what the store adds
    // on top is the difference.
    const authority = await CertificateAuthority.load(files);
    const leafKey = describeSpki(
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
        type: 'spki',
        format: 'der',
      }),
    );
    const now = Date.now();
    const builderPerSecond = rate(quick ? 300 : 2_000, () =>
      authority.issueLeafSync({
        names: ['bench.example'],
        publicKey: leafKey,
        notBefore: now,
        notAfter: now + 864e5,
      }),
    );
    const signBaseline = signRate(key, quick ? 300 : 2_000);
    const threads = loadConfig({}, {}).signingThreads;
    const threadedBaseline =
      threads > 0
        ? await threadedSignRate(files.intermediateKeyPem, threads, quick ? 300 : 2_000)
        : undefined;

    const runs: StoreRun[] = [];
    const ca = { dir: caDir, key, files };
    runs.push(await runStore('SQLite', n, ca, quick));
    const postgres = await pgReachable();
    if (postgres) runs.push(await runStore('PostgreSQL', n, ca, quick));

    const targets: TargetCheck[] = runs.map((r) => ({
      name: `Issuance on ${r.store} (certificates stored per second)`,
      value: r.certificatesPerSecond,
      target: `≥ ${TARGET}`,
      met: r.certificatesPerSecond >= TARGET,
    }));
    const cores = os.cpus().length;
    const markdown = [
      '## Issuance throughput',
      '',
      `${n} applications with client CSRs (P-256, one key and name each) for ${DEFAULT_PRODUCT_CODE}, an embedded P-256 CA, ` +
        'sandbox validation with no delay. Applications are submitted through the domain layer (createOrder, as ' +
        'the API actions call it), not over HTTP: the HTTP front end is measured by the API section. The clock ' +
        'starts when the order worker starts, with every application waiting, and stops when the last certificate ' +
        'is stored (order, certificate row, plan counter, history). ' +
        `Leaves are built and signed on ${threads} signing thread${threads === 1 ? '' : 's'} ` +
        `(OPENCAS_SIGNING_THREADS; the default is one less than the cores), the main thread validates and stores; ` +
        `the machine has ${cores} cores, shared with whatever else runs.`,
      '',
      '| store | orders | submitted in | issued and stored in | certificates/s | crypto.sign/s (same key, 1 thread, just before) | ratio | openssl verify sample |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...runs.map(
        (r) =>
          `| ${r.store} | ${r.orders} | ${r.submitSeconds} s | ${r.issueSeconds} s | ${r.certificatesPerSecond} | ${r.signPerSecond} | ${r.ratioToSign} | ${r.verifiedSample} OK |`,
      ),
      '',
      `Same run, same key, one thread: crypto.sign ${round(signBaseline)}/s; the leaf builder alone (template, ` +
        `signature, PEM, fingerprints) ${round(builderPerSecond)}/s.` +
        (threadedBaseline === undefined
          ? ''
          : ` crypto.sign on ${threads} worker thread${threads === 1 ? '' : 's'} at once: ${round(threadedBaseline)}/s.`) +
        (postgres ? '' : ` PostgreSQL was not reachable at ${PG_URL}: its run is left out.`),
      '',
    ].join('\n');
    return {
      json: {
        orders: n,
        cores,
        signPerSecondBaseline: round(signBaseline),
        signingThreads: threads,
        signPerSecondOnSigningThreads: threadedBaseline === undefined ? null : round(threadedBaseline),
        builderPerSecond: round(builderPerSecond),
        runs,
        postgres: postgres ? 'measured' : `unreachable at ${PG_URL}`,
      },
      markdown,
      targets,
    };
  } finally {
    rmSync(caDir, { recursive: true, force: true });
  }
}
