/**
 * Scale: DescribePackageState and ListUserCertificateOrder through the real HTTP API (signed requests) on two
 * servers side by side in one run: one whose store holds only the measured account and one page of its orders
 * ("empty"), one into which a million orders with their certificates were seeded through the store (bulk
 * inserts). Measurements alternate between the two in rounds, so drift in the machine's load hits both.
 *
 * The spread of the million (stated in the report):
 * - a "typical" measured account holds 0.5 % of the orders (5,000 at a million): a busy customer;
 * - a "large" measured account holds a quarter of them (250,000): the worst case;
 * - the rest goes to 10,000 other accounts, skewed (a few hold thousands, most a few dozen);
 * - rows are inserted in time order with the accounts interleaved, as a real store fills up, so one account's
 *   rows are spread over the whole table;
 * - 90 % of orders are issued (3 % of those revoked), 5 % failed validation (a third of those deleted),
 *   3 % paid but withdrawn, 2 % waiting for validation; 10 % carry a resource group; 50 % have a client CSR,
 *   the others a service-generated key stored with the certificate; orders span two years, certificates are
 *   valid for 90 days; 2 % more certificates are uploads; each order has its audit events (4 for an issued one).
 *
 * Certificate PEMs, chains, CSRs and sealed keys are real ones made once and repeated, so rows have their real
 * size; serials and fingerprints are random and unique; ids increase in the order rows are made (see seedId).
 */
import { createPublicKey, generateKeyPairSync, randomBytes, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createAccessKey, createAccount } from '../src/domain/accounts.js';
import type { Services } from '../src/domain/context.js';
import { randomId } from '../src/ids.js';
import { describeCertificate } from '../src/pki/certificate.js';
import { startServer } from '../src/serve.js';
import type { Store } from '../src/store/index.js';
import type { CertificateRow, OrderEventRow, OrderRow } from '../src/store/orders.js';
import type { AccountRow } from '../src/store/accounts.js';
import type { PlanRow } from '../src/store/plans.js';
import { makeCsr } from '../test/helpers/pki.js';
import {
  percentiles,
  round,
  runChild,
  type BenchOptions,
  type SectionResult,
  type TargetCheck,
} from './common.js';
import type { LoadResult } from './load.js';
import type { Key } from './sign.js';

const CONNECTIONS = 4;
const TARGET_RATIO = 1.5;
const PAGE = 20;
const PRODUCT = 'digicert-free-1-free';
const DAY = 86_400_000;
const CHUNK = 20_000;
const ROOT_KEY: Key = {
  accessKeyId: 'LTAIbenchscaleroot0001',
  accessKeySecret: 'bench-scale-secret-0123456789abcdef',
};

interface Call {
  name: string;
  action: string;
  params: Record<string, string>;
  /** One of the calls the target is stated for (the CERT list is reported beside them). */
  target: boolean;
}

const CALLS: Call[] = [
  {
    name: 'DescribePackageState',
    action: 'DescribePackageState',
    params: { ProductCode: PRODUCT },
    target: true,
  },
  {
    name: 'ListUserCertificateOrder (CPACK, page 1)',
    action: 'ListUserCertificateOrder',
    params: { ShowSize: String(PAGE) },
    target: true,
  },
  {
    name: 'ListUserCertificateOrder (CERT, page 1)',
    action: 'ListUserCertificateOrder',
    params: { OrderType: 'CERT', ShowSize: String(PAGE) },
    target: false,
  },
];

/** Real bytes to repeat: certificate PEMs from the server's own CA, a CSR, a sealed RSA key. */
interface Templates {
  certs: Array<{ pem: string; issuer: string }>;
  chainPem: string;
  csrPem: string;
  sealedKey: string;
}

async function makeTemplates(s: Services): Promise<Templates> {
  const certs: Templates['certs'] = [];
  const now = s.clock.now();
  for (let i = 0; i < 4; i++) {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = await s.issuer.issue({
      names: [`www.template-${i}.example.com`],
      publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
      notBefore: now,
      notAfter: now + 90 * DAY,
    });
    certs.push({ pem: issued.leafPem, issuer: describeCertificate(issued.leafPem).issuerCommonName });
  }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return {
    certs,
    chainPem: s.issuer.chainPem,
    csrPem: makeCsr('www.template.example.com').csr,
    sealedKey: s.masterKey.seal(keyPem, 'certificate-key:template'),
  };
}

/** Random bytes from a pool refilled in large blocks: one randomBytes call per value costs microseconds. */
const pool = { buf: Buffer.alloc(1 << 20), at: 1 << 20 };
function take(n: number): Buffer {
  if (pool.at + n > pool.buf.length) {
    randomFillSync(pool.buf);
    pool.at = 0;
  }
  pool.at += n;
  return pool.buf.subarray(pool.at - n, pool.at);
}
const hex = (bytes: number) => take(bytes).toString('hex').toUpperCase();
/**
 * Seeded ids: in src/ids.ts's range (16 digits, below 2^53) and random within steps of 2^31, but increasing in
 * the order rows are made. Production ids are random throughout; these keep the primary-key indexes growing
 * at their end, so that seeding a million orders costs a few minutes, not a quarter of an hour of index
 * pages evicted and read back. The reads measured go through the account indexes, whose spread is unchanged.
 */
const ID_STEP = 2 ** 31;
let idCount = 0;
const seedId = () => 1e15 + idCount++ * ID_STEP + (take(4).readUInt32BE() % ID_STEP);

interface SeedAccount {
  uid: number;
}

/**
 * Generates `owners.length` orders (owner i is an index into `accounts`) created evenly between `from` and `to`,
 * with their certificates, uploads and events, and writes them through the store in chunks.
 */
async function seedOrders(
  store: Store,
  t: Templates,
  accounts: SeedAccount[],
  owners: Int32Array,
  from: number,
  to: number,
  now: number,
  allIssued: boolean,
): Promise<void> {
  const groups = ['rg-acfmvyd7nf2rmzq', 'rg-aek2lkmtxqbhevi', 'rg-aekzqqrfx6ju7ga'];
  const step = (to - from) / Math.max(1, owners.length);
  // Each order's fate is drawn first, so that each account gets one grant plan whose counters match its
  // orders (the quota invariant holds) before any order refers to it.
  const draws = new Float64Array(owners.length * 3).map(() => Math.random());
  const fate = (i: number) => {
    const r = allIssued ? 0 : draws[3 * i]!;
    const status: OrderRow['status'] =
      r < 0.9 ? 'certificate' : r < 0.95 ? 'verify_fail' : r < 0.98 ? 'payed' : 'domain_verify';
    return {
      status,
      deleted: status === 'verify_fail' && draws[3 * i + 1]! < 1 / 3,
      revoked: status === 'certificate' && !allIssued && draws[3 * i + 2]! < 0.03,
    };
  };
  const tallies = new Map<number, { total: number; used: number; issued: number }>();
  for (let i = 0; i < owners.length; i++) {
    const uid = accounts[owners[i]!]!.uid;
    const f = fate(i);
    const c = tallies.get(uid) ?? { total: 0, used: 0, issued: 0 };
    c.total++;
    if (!f.deleted) c.used++;
    if (f.status === 'certificate') c.issued++;
    tallies.set(uid, c);
  }
  const planOf = new Map<number, number>();
  const plans: PlanRow[] = [...tallies].map(([uid, c]) => {
    const id = seedId();
    planOf.set(uid, id);
    return {
      id,
      account_uid: uid,
      product_code: PRODUCT,
      total_count: c.total,
      used_count: c.used,
      issued_count: c.issued,
      source: 'grant',
      period: null,
      starts_at: from,
      expires_at: null,
      created_at: from,
    };
  });
  for (let i = 0; i < plans.length; i += CHUNK) await store.bulk.insert('plans', plans.slice(i, i + CHUNK));
  for (let start = 0; start < owners.length; start += CHUNK) {
    const orders: OrderRow[] = [];
    const certs: CertificateRow[] = [];
    const events: OrderEventRow[] = [];
    for (let i = start; i < Math.min(owners.length, start + CHUNK); i++) {
      const account = accounts[owners[i]!]!;
      const created = Math.round(from + i * step);
      const { status, deleted, revoked } = fate(i);
      const csr = Math.random() < 0.5;
      const rg = Math.random() < 0.1 ? groups[i % groups.length]! : null;
      const id = seedId();
      const name = `www.d${i.toString(36)}.example.com`;
      const issuedAt = status === 'certificate' ? created + 60_000 : null;
      const certId = status === 'certificate' ? seedId() : null;
      orders.push({
        id,
        account_uid: account.uid,
        product_code: PRODUCT,
        plan_id: planOf.get(account.uid)!,
        status,
        names: name,
        validate_type: 'DNS',
        token: new Date(created).toISOString().replace(/\D/g, '').slice(0, 14) + hex(25).toLowerCase(),
        record_domain: '_dnsauth.www',
        validated_names: status === 'certificate' ? name : '',
        csr_pem: csr ? t.csrPem : null,
        key_algorithm: csr ? 'EC' : 'RSA',
        username: 'Ops Team',
        email: 'ops@example.com',
        phone: '13900000000',
        company_name: null,
        tags: null,
        validation_deadline: status === 'domain_verify' ? now + DAY : created + DAY,
        next_check_at: status === 'domain_verify' ? now + DAY / 2 : null,
        check_attempts: status === 'payed' ? 0 : status === 'certificate' ? 1 : 12,
        last_check_at: status === 'payed' ? null : created + 30_000,
        prompt_check_at: null,
        lease_owner: null,
        lease_until: null,
        approval: null,
        certificate_id: certId,
        issued_at: issuedAt,
        revoked_at: revoked ? issuedAt! + DAY : null,
        revoke_reason: revoked ? 'cessationOfOperation' : null,
        unit_returned: deleted || revoked ? 1 : 0,
        renewed_from: null,
        deleted_at: deleted ? created + 2 * DAY : null,
        created_at: created,
        updated_at: issuedAt ?? created,
        resource_group_id: rg,
      });
      const event = (
        seq: number,
        at: number,
        kind: string,
        fromS: string | null,
        toS: string | null,
        detail: string,
      ) =>
        events.push({
          order_id: id,
          seq,
          account_uid: account.uid,
          at,
          kind,
          from_status: fromS,
          to_status: toS,
          actor: seq === 1 ? `key:LTAI${hex(10)}` : 'worker',
          detail,
        });
      event(
        1,
        created,
        'created',
        null,
        'domain_verify',
        `${PRODUCT} for ${name}, DNS validation, ${csr ? 'client CSR' : 'service-generated key'}`,
      );
      event(
        2,
        created + 30_000,
        'validation',
        null,
        null,
        `DNS attempt 1: ${name}: ${status === 'certificate' ? 'passed (TXT _dnsauth.' + name + ' holds the token)' : 'failed (no TXT record at _dnsauth.' + name + ')'}`,
      );
      if (certId !== null) {
        event(
          3,
          created + 30_000,
          'state',
          'domain_verify',
          'process',
          'domain control validated for every name',
        );
        event(
          4,
          issuedAt!,
          'issued',
          'process',
          'certificate',
          `certificate ${certId} issued, serial ${hex(16)}, valid until ${new Date(issuedAt! + 90 * DAY).toISOString()}`,
        );
      }
      const template = t.certs[i % t.certs.length]!;
      const certRow = (cid: number, source: 'issued' | 'upload', at: number): CertificateRow => ({
        id: cid,
        account_uid: account.uid,
        order_id: source === 'issued' ? id : null,
        source,
        name: source === 'issued' ? `cert-${id}` : `upload-${i.toString(36)}`,
        cert_pem: template.pem,
        chain_pem: t.chainPem,
        key_sealed: source === 'upload' || !csr ? t.sealedKey : null,
        common_name: name,
        sans: name,
        serial_hex: hex(16),
        issuer: template.issuer,
        key_algorithm: csr ? 'EC' : 'RSA',
        key_size: csr ? 256 : 2048,
        not_before: at - 60_000,
        not_after: at + 90 * DAY,
        sha1: hex(20),
        sha256: hex(32),
        org_name: null,
        country: null,
        province: null,
        city: null,
        resource_group_id: source === 'issued' ? rg : null,
        revoked_at: revoked && source === 'issued' ? issuedAt! + DAY : null,
        revoke_reason: revoked && source === 'issued' ? 'cessationOfOperation' : null,
        created_at: at,
        deleted_at: null,
        tags: null,
      });
      if (certId !== null) certs.push(certRow(certId, 'issued', issuedAt!));
      if (!allIssued && Math.random() < 0.02) certs.push(certRow(seedId(), 'upload', created));
    }
    await store.bulk.insert('orders', orders);
    await store.bulk.insert('certificates', certs);
    await store.bulk.insert('order_events', events);
  }
}

/** Owners of `total` orders: `typical` and `large` for accounts 0 and 1, the rest skewed over `others` accounts. */
function spread(total: number, typical: number, large: number, others: number): Int32Array {
  const owners = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < typical; i++) owners[k++] = 0;
  for (let i = 0; i < large; i++) owners[k++] = 1;
  // u² puts account j's share near 1/sqrt(j): a few big accounts, a long tail of small ones.
  while (k < total) owners[k++] = 2 + Math.floor(others * Math.random() ** 2);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [owners[i], owners[j]] = [owners[j]!, owners[i]!];
  }
  return owners;
}

/**
 * OPENCAS_BENCH_SCALE_DATABASE_URL (postgres://…) runs the section on PostgreSQL: each server gets a fresh
 * schema of its own in that database, dropped at the end. SQLite (a file in a temporary folder) otherwise.
 */
const PG_URL = process.env['OPENCAS_BENCH_SCALE_DATABASE_URL'];

async function pgAdmin(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

async function startBenchServer(dataDir: string, schema: string | undefined) {
  let databaseUrl: string | undefined;
  if (PG_URL && schema) {
    await pgAdmin((c) => c.query(`create schema ${schema}`));
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
  }
  return startServer(
    loadConfig(
      {
        ...(databaseUrl ? { databaseUrl } : {}),
        host: '127.0.0.1',
        port: '0',
        dataDir,
        logLevel: 'silent',
        rateLimits: 'off',
        rootAccessKeyId: ROOT_KEY.accessKeyId,
        rootAccessKeySecret: ROOT_KEY.accessKeySecret,
      },
      {},
    ),
  );
}

type Latencies = LoadResult & { samples: number[] };

export async function scale({ quick }: BenchOptions): Promise<SectionResult> {
  // OPENCAS_BENCH_SCALE_ORDERS overrides the count (a multiple of 200, at least 4,000), to try other sizes.
  const TOTAL = Number(process.env['OPENCAS_BENCH_SCALE_ORDERS'] ?? (quick ? 20_000 : 1_000_000));
  const TYPICAL = TOTAL / 200;
  const LARGE = TOTAL / 4;
  const OTHERS = TOTAL / 100;
  const ROUNDS = quick ? 1 : 3;
  const DURATION_S = quick ? 1 : 4;
  const WARMUP_S = quick ? 1 : 2;
  const dirs = [0, 1].map(() => mkdtempSync(path.join(os.tmpdir(), 'opencas-bench-scale-')));
  const schemas = PG_URL ? dirs.map(() => `opencas_bench_${randomBytes(6).toString('hex')}`) : [];
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];
  try {
    for (const [i, dir] of dirs.entries()) servers.push(await startBenchServer(dir, schemas[i]));
    const [empty, full] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const now = Date.now();
    const templates = await makeTemplates(full.services);
    // Both stores: the measured accounts with one page of recent, issued orders each. The empty store stays so.
    const keys: Record<'empty' | 'typical' | 'large', Key> = {} as never;
    const fullAccounts: SeedAccount[] = [];
    for (const [server, names] of [
      [empty, ['typical']],
      [full, ['typical', 'large']],
    ] as const) {
      const measured: SeedAccount[] = [];
      for (const name of names) {
        const account = await createAccount(server.services, `bench-${name}`);
        measured.push({ uid: account.uid });
        keys[server === empty ? 'empty' : name] = await createAccessKey(server.services, account.uid);
      }
      const firstPage = new Int32Array(measured.length * PAGE).map((_, i) => i % measured.length);
      await seedOrders(
        server.services.store,
        templates,
        measured,
        firstPage,
        now - 10 * DAY,
        now - DAY,
        now,
        true,
      );
      if (server === full) fullAccounts.push(...measured);
    }

    // The million, through the store, into the second server: everything older than the first pages.
    const store = full.services.store;
    const others: AccountRow[] = [];
    for (let i = 0; i < OTHERS; i++)
      others.push({ uid: randomId(), name: `bench-${i}`, is_root: 0, created_at: now - 800 * DAY });
    await store.bulk.insert('accounts', others);
    const accounts = [...fullAccounts, ...others.map((a) => ({ uid: a.uid }))];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await seedOrders(
      store,
      templates,
      accounts,
      spread(TOTAL - 2 * PAGE, TYPICAL - PAGE, LARGE - PAGE, OTHERS),
      now - 730 * DAY,
      now - 11 * DAY,
      now,
      false,
    );
    await store.bulk.finish();
    const seedSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const seedCpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.error(
      `seeded ${TOTAL} orders in ${round(seedSeconds, 1)} s (${round(seedCpuSeconds, 1)} s of CPU)`,
    );
    const counts = await store.orders.countByStatus();
    // countByStatus leaves deleted orders out; they are rows all the same.
    const liveOrders = Object.values(counts).reduce((a, b) => a + b, 0);
    const dbBytes = await store.databaseBytes();
    const listFilter = {
      accountUid: fullAccounts[1]!.uid,
      now,
      willExpireMs: full.services.config.willExpireMs,
    };
    const page = { offset: 0, limit: PAGE };
    const cpack = await store.orders.explainList({ ...listFilter, ...page });
    const cert = await store.repository.explainList({ ...listFilter, ...page, uploadOnly: false });
    const plans = {
      'CPACK count': cpack.count,
      'CPACK page': cpack.page,
      'CERT count': cert.count,
      'CERT page': cert.page,
    };

    // Rounds alternate the empty and the seeded store, so that drift in the machine's load hits both alike.
    const targetsOf = [
      { key: 'empty', url: empty.url },
      { key: 'typical', url: full.url },
      { key: 'large', url: full.url },
    ] as const;
    const samples = new Map<string, number[]>();
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      for (const call of CALLS) {
        for (const t of targetsOf) {
          const job = {
            url: t.url,
            scheme: 'acs3' as const,
            connections: CONNECTIONS,
            key: keys[t.key],
            action: call.action,
            params: call.params,
          };
          if (round_ === 0)
            await runChild<Latencies>('latency-load.ts', { ...job, durationSeconds: WARMUP_S });
          const r = await runChild<Latencies>('latency-load.ts', { ...job, durationSeconds: DURATION_S });
          if (r.non2xx || r.errors) throw new Error(`${call.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          const k = `${call.name}|${t.key}`;
          samples.set(k, [...(samples.get(k) ?? []), ...r.samples]);
        }
      }
    }
    const stats = (call: Call, key: string) => percentiles(samples.get(`${call.name}|${key}`) ?? []);

    const rows = CALLS.map((call) => {
      const b = stats(call, 'empty');
      const ty = stats(call, 'typical');
      const lg = stats(call, 'large');
      return {
        call: call.name,
        target: call.target,
        emptyP50Ms: round(b.p50, 2),
        emptyP99Ms: round(b.p99, 2),
        typicalP50Ms: round(ty.p50, 2),
        typicalP99Ms: round(ty.p99, 2),
        typicalRatio: round(ty.p99 / b.p99, 2),
        largeP50Ms: round(lg.p50, 2),
        largeP99Ms: round(lg.p99, 2),
        largeRatio: round(lg.p99 / b.p99, 2),
        requests: Object.fromEntries(
          targetsOf.map((t) => [t.key, samples.get(`${call.name}|${t.key}`)?.length ?? 0]),
        ),
      };
    });
    const targets: TargetCheck[] = rows
      .filter((r) => r.target)
      .flatMap((r) => [
        {
          name: `Scale, ${r.call}: p99 with ${TOTAL.toLocaleString('en')} orders / empty (account with ${TYPICAL.toLocaleString('en')})`,
          value: r.typicalRatio,
          target: `≤ ${TARGET_RATIO}`,
          met: r.typicalRatio <= TARGET_RATIO,
        },
        {
          name: `Scale, ${r.call}: worst case, account with ${LARGE.toLocaleString('en')} orders`,
          value: r.largeRatio,
          target: `≤ ${TARGET_RATIO}`,
          met: r.largeRatio <= TARGET_RATIO,
        },
      ]);
    const bytesPerOrder = round(dbBytes / TOTAL);
    const json = {
      store: store.conn.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL',
      orders: TOTAL,
      liveOrders,
      ordersByStatus: counts,
      accounts: OTHERS + 2,
      typicalAccountOrders: TYPICAL,
      largeAccountOrders: LARGE,
      seedSeconds: round(seedSeconds, 1),
      seedCpuSeconds: round(seedCpuSeconds, 1),
      databaseBytes: dbBytes,
      bytesPerOrder,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      durationSeconds: DURATION_S,
      warmupSeconds: WARMUP_S,
      loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
      results: rows,
      plans,
    };
    const markdown = [
      `## Scale: ${TOTAL.toLocaleString('en')} orders (${json.store})`,
      '',
      `${json.store}. Signed ACS3 calls from a closed-loop client in a child process (${CONNECTIONS} keep-alive ` +
        `connections, latency timed per request), ${ROUNDS} rounds of ${DURATION_S} s per call and store, ` +
        `alternating between two servers: "empty" (the measured account with one page, ${PAGE}, of orders and ` +
        `nothing else) and one into which ${TOTAL.toLocaleString('en')} orders and their certificates were ` +
        `seeded through the store. Of those, the typical account holds ${TYPICAL.toLocaleString('en')} (0.5 %), the large one ` +
        `${LARGE.toLocaleString('en')} (a quarter, the worst case), the rest is spread unevenly over ` +
        `${OTHERS.toLocaleString('en')} other accounts, interleaved in time order.`,
      '',
      `Seeding: ${round(seedSeconds, 1)} s. Database: ${(dbBytes / 2 ** 20).toFixed(0)} MiB, ` +
        `${bytesPerOrder} bytes per order (order, certificate, audit events, indexes; ` +
        `${json.store === 'SQLite' ? 'the file after a checkpoint' : 'pg_total_relation_size of every table'}).`,
      '',
      'Plans of the measured list calls on the seeded store (the large account):',
      '',
      ...Object.entries(plans).map(([k, v]) => `- ${k}: \`${v.join(' | ')}\``),
      '',
      '| call | empty p50 / p99 ms | typical p50 / p99 ms | p99 ratio | large p50 / p99 ms | p99 ratio |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.call} | ${r.emptyP50Ms} / ${r.emptyP99Ms} | ${r.typicalP50Ms} / ${r.typicalP99Ms} | ` +
          `${r.typicalRatio} | ${r.largeP50Ms} / ${r.largeP99Ms} | ${r.largeRatio} |`,
      ),
      '',
      `Target: p99 at most ${TARGET_RATIO} × the empty store's. 1-minute load average at the end: ` +
        `${json.loadAverageAtEnd[0]}.`,
      '',
    ].join('\n');
    return { json, markdown, targets };
  } finally {
    for (const server of servers) await server.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    for (const schema of schemas) await pgAdmin((c) => c.query(`drop schema if exists ${schema} cascade`));
  }
}
