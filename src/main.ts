import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, SETTINGS, loadConfig, type Config } from './config.js';
import {
  DomainError,
  createAccessKey,
  createAccount,
  disableAccessKey,
  listAccessKeys,
  listAccounts,
  resolveAccount,
} from './domain/accounts.js';
import type { Services } from './domain/context.js';
import { grantPlan, listPlans, parseExpiryDate } from './domain/plans.js';
import { decideOrder, orderWithHistory } from './domain/orders.js';
import { ApiError } from './rpc/errors.js';
import { CaSetupError } from './issuance/embedded-ca.js';
import { MasterKeyMismatchError, openServices } from './runtime.js';
import { startServer } from './serve.js';
import { StoreError, sqlitePath } from './store/index.js';

type Flags = Partial<Record<keyof Config, string>>;

/** Commander's attribute name for a flag: `--data-dir <dir>` becomes `dataDir`. */
const attributeOf = (flag: string) =>
  flag
    .split(' ')[0]!
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function flagsOf(opts: Record<string, unknown>): Flags {
  const flags: Flags = {};
  for (const s of SETTINGS) {
    const v = opts[attributeOf(s.flag)];
    if (typeof v === 'string') flags[s.key] = v;
  }
  return flags;
}

function addSettings(cmd: Command, keys?: Array<keyof Config>): Command {
  for (const s of SETTINGS) {
    if (keys && !keys.includes(s.key)) continue;
    cmd.addOption(new Option(s.flag, `${s.description} [${s.env}; default ${s.defaultText}]`));
  }
  return cmd;
}

function fail(message: string): never {
  process.stderr.write(`opencas: ${message}\n`);
  process.exit(1);
}

/**
 * The settings an admin command takes as flags: where the data is and the key that opens it. The admin CLI
 * logs nothing and never makes starter grants (the server makes them, at an account's first API call in a
 * year), so it takes neither --log-level nor --starter-grant.
 */
const ADMIN_SETTINGS: Array<keyof Config> = ['dataDir', 'databaseUrl', 'masterKey'];

/**
 * The settings an admin command reads from the environment: the flags' own, and what an operator's approval
 * needs to issue as the server would (the CA loaded from files, the region and the expiry window). The other
 * OPENCAS_* variables are the server's: left unread, so a value meant for it cannot fail an admin command.
 */
const ADMIN_ENV: Array<keyof Config> = [
  ...ADMIN_SETTINGS,
  'caAlgorithm',
  'caName',
  'caCertFile',
  'caKeyFile',
  'caRootFile',
  'regionId',
  'willExpireMs',
];

function adminEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const read = new Set(SETTINGS.filter((x) => ADMIN_ENV.includes(x.key)).map((x) => x.env));
  return {
    ...Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('OPENCAS_') || read.has(k))),
    OPENCAS_STARTER_GRANT: 'off',
  };
}

/** Runs an admin command against the same data as the server, then closes the store. */
async function withServices(cmd: Command, fn: (s: Services) => Promise<void>): Promise<void> {
  const config = loadConfig(flagsOf(cmd.optsWithGlobals()), adminEnv(process.env));
  // A data folder no server has used yet gets a database of its own: fine before a first start, but more
  // often a command run from the wrong folder, so it is said (on stderr: --json output stays clean).
  const newFile = config.databaseUrl.startsWith('sqlite:') ? sqlitePath(config.databaseUrl) : undefined;
  const isNew = newFile !== undefined && newFile !== ':memory:' && !existsSync(newFile);
  const s = await openServices(config);
  try {
    if (isNew) {
      process.stderr.write(
        `opencas: note: no database was at ${newFile}, a new one was created; to work on a running server's data, ` +
          'run this from its folder or pass its --data-dir\n',
      );
    }
    await fn(s);
  } finally {
    await s.keys.close();
    await s.store.close();
  }
}

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
const lastDay = (expiresAt: number | null) =>
  expiresAt === null ? 'never' : new Date(expiresAt - 1).toISOString().slice(0, 10);

function print(cmd: Command, json: unknown, text: () => string): void {
  if (cmd.optsWithGlobals().json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else process.stdout.write(text() + '\n');
}

function leaf(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).option('--json', 'print JSON');
}

const program = new Command('opencas')
  .description('OpenCAS: a self-hosted certificate service speaking the Alibaba Cloud CAS 2020-04-07 API')
  .showSuggestionAfterError(false);

addSettings(program.command('serve').description('run the API server')).action(
  async (_opts, cmd: Command) => {
    const config = loadConfig(flagsOf(cmd.opts()));
    const server = await startServer(config);
    const log = server.app.log;
    log.info(
      {
        url: server.url,
        rootAccessKeyId: server.root.accessKeyId,
        rootCredentialsFile: server.root.file,
        rootKeySource: server.root.source,
        database: config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl : '(postgres)',
        validation: config.validation,
        rateLimits: !config.rateLimits.enabled
          ? 'off'
          : config.redisUrl
            ? 'redis'
            : config.databaseUrl.startsWith('sqlite:')
              ? 'this process'
              : 'postgres',
      },
      `OpenCAS listening on ${server.url}`,
    );
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  },
);

const admin = addSettings(
  program.command('admin').description('administer accounts, keys and plans'),
  ADMIN_SETTINGS,
);

const account = admin.command('account').description('accounts');
leaf(account, 'create', 'create an account')
  .requiredOption('--name <name>', 'account name')
  .action(async (opts: { name: string }, cmd: Command) =>
    withServices(cmd, async (s) => {
      const a = await createAccount(s, opts.name);
      print(cmd, { uid: a.uid, name: a.name }, () => `created account ${a.name} with uid ${a.uid}`);
    }),
  );
leaf(account, 'list', 'list accounts').action(async (_opts, cmd: Command) =>
  withServices(cmd, async (s) => {
    const all = await listAccounts(s);
    print(
      cmd,
      all.map((a) => ({ uid: a.uid, name: a.name, root: a.isRoot, createdAt: iso(a.createdAt) })),
      () => all.map((a) => `${a.uid}\t${a.name}${a.isRoot ? ' (root)' : ''}\t${iso(a.createdAt)}`).join('\n'),
    );
  }),
);

const key = admin.command('key').description('AccessKeys');
leaf(key, 'create', 'create an AccessKey pair; the secret is shown this once')
  .requiredOption('--account <uid|root>', 'owner account')
  .action(async (opts: { account: string }, cmd: Command) =>
    withServices(cmd, async (s) => {
      const a = await resolveAccount(s, opts.account);
      const k = await createAccessKey(s, a.uid);
      print(
        cmd,
        k,
        () =>
          `AccessKeyId:     ${k.accessKeyId}\nAccessKeySecret: ${k.accessKeySecret}\n(the secret is not shown again)`,
      );
    }),
  );
leaf(key, 'disable', 'disable an AccessKey')
  .argument('<accessKeyId>')
  .action(async (id: string, _opts, cmd: Command) =>
    withServices(cmd, async (s) => {
      const k = await disableAccessKey(s, id);
      print(cmd, { accessKeyId: k.accessKeyId, status: k.status }, () => `${k.accessKeyId} is ${k.status}`);
    }),
  );
leaf(key, 'list', "list an account's AccessKeys (never their secrets)")
  .requiredOption('--account <uid|root>', 'owner account')
  .action(async (opts: { account: string }, cmd: Command) =>
    withServices(cmd, async (s) => {
      const a = await resolveAccount(s, opts.account);
      const keys = await listAccessKeys(s, a.uid);
      print(
        cmd,
        keys.map((k) => ({
          accessKeyId: k.accessKeyId,
          status: k.status,
          createdAt: iso(k.createdAt),
          disabledAt: k.disabledAt && iso(k.disabledAt),
        })),
        () => keys.map((k) => `${k.accessKeyId}\t${k.status}\t${iso(k.createdAt)}`).join('\n') || '(no keys)',
      );
    }),
  );

const plan = admin.command('plan').description('resource plans (certificate quota)');
leaf(plan, 'grant', 'grant certificates of one product code to an account')
  .requiredOption('--account <uid|root>', 'account')
  .requiredOption('--product-code <code>', 'product code, e.g. digicert-free-1-free')
  .requiredOption('--count <n>', 'how many certificates')
  .option('--expires <YYYY-MM-DD>', 'last day the plan counts (UTC); default: never')
  .action(
    async (opts: { account: string; productCode: string; count: string; expires?: string }, cmd: Command) =>
      withServices(cmd, async (s) => {
        const a = await resolveAccount(s, opts.account);
        if (!/^\d+$/.test(opts.count))
          throw new DomainError('--count must be a whole number from 1 to 1000000');
        const expiresAt = opts.expires === undefined ? null : parseExpiryDate(opts.expires);
        const p = await grantPlan(s, a.uid, opts.productCode, Number(opts.count), expiresAt);
        print(
          cmd,
          {
            planId: p.id,
            accountUid: a.uid,
            productCode: p.productCode,
            count: p.totalCount,
            expires: p.expiresAt === null ? null : lastDay(p.expiresAt),
          },
          () =>
            `granted ${p.totalCount} x ${p.productCode} to account ${a.uid} (plan ${p.id}, expires ${lastDay(p.expiresAt)})`,
        );
      }),
  );
leaf(plan, 'list', "list an account's plans and their counters")
  .requiredOption('--account <uid|root>', 'account')
  .action(async (opts: { account: string }, cmd: Command) =>
    withServices(cmd, async (s) => {
      const a = await resolveAccount(s, opts.account);
      const plans = await listPlans(s, a.uid, { ensureStarter: false });
      print(
        cmd,
        plans.map((p) => ({
          planId: p.id,
          productCode: p.productCode,
          totalCount: p.totalCount,
          usedCount: p.usedCount,
          issuedCount: p.issuedCount,
          source: p.source,
          startsAt: iso(p.startsAt),
          expires: p.expiresAt === null ? null : lastDay(p.expiresAt),
          active: p.active,
        })),
        () =>
          plans
            .map(
              (p) =>
                `${p.id}\t${p.productCode}\ttotal ${p.totalCount}\tused ${p.usedCount}\tissued ${p.issuedCount}\t${p.source}\texpires ${lastDay(p.expiresAt)}${p.active ? '' : '\t(inactive)'}`,
            )
            .join('\n') || '(no plans)',
      );
    }),
  );

const order = admin.command('order').description('certificate orders');
leaf(order, 'show', 'print an order and its history')
  .argument('<orderId>')
  .action(async (id: string, _opts, cmd: Command) =>
    withServices(cmd, async (s) => {
      const { order: o, history } = await orderWithHistory(s, parseOrderId(id));
      print(cmd, { order: o, history }, () =>
        [
          `order ${o.orderId}  account ${o.accountUid}  ${o.productCode}  ${o.status}${o.revokedAt ? ' (revoked)' : ''}${o.deletedAt ? ` (deleted ${o.deletedAt})` : ''}`,
          `names: ${o.names.join(', ')}  validation: ${o.validateType}${o.certificateId ? `  certificate: ${o.certificateId}` : ''}`,
          ...history.map(
            (e) =>
              `${e.at}  ${e.kind.padEnd(10)} ${e.from ?? ''}${e.to ? ' -> ' + e.to : ''}  [${e.actor}] ${e.detail}`,
          ),
        ].join('\n'),
      );
    }),
  );
for (const [verb, approve] of [
  ['approve', true],
  ['reject', false],
] as const) {
  leaf(order, verb, `${verb} an OV order waiting for vetting`)
    .argument('<orderId>')
    .action(async (id: string, _opts, cmd: Command) =>
      withServices(cmd, async (s) => {
        const o = await decideOrder(s, parseOrderId(id), approve, 'admin');
        print(cmd, { orderId: Number(o.id), approval: o.approval }, () => `order ${o.id}: ${o.approval}`);
      }),
    );
}

function parseOrderId(text: string): number {
  if (!/^\d{1,16}$/.test(text)) throw new DomainError(`"${text}" is not an order id`);
  return Number(text);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const expected = [ConfigError, DomainError, StoreError, MasterKeyMismatchError, ApiError, CaSetupError];
  if (expected.some((E) => err instanceof E)) fail((err as Error).message);
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE')
    fail(`${(err as Error).message}: another process holds the port; choose one with OPENCAS_PORT or --port`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    fail(`${(err as Error).message}: check OPENCAS_HOST or --host`);
  fail(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
});
