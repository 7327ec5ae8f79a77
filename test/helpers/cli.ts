import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownDatabaseUrl } from './database.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin', 'opencas.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `opencas` command (the built bin) against a data folder. */
export function cli(dataDir: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: {
      ...process.env,
      OPENCAS_DATA_DIR: dataDir,
      OPENCAS_LOG_LEVEL: 'silent',
      ...(knownDatabaseUrl(dataDir) ? { OPENCAS_DATABASE_URL: knownDatabaseUrl(dataDir) } : {}),
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an admin command with --json and parses its output; throws with stderr on failure. */
export function cliJson<T = unknown>(dataDir: string, args: string[], env: Record<string, string> = {}): T {
  const r = cli(dataDir, ['admin', ...args, '--json'], env);
  if (r.status !== 0) throw new Error(`opencas admin ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** `opencas admin plan grant` of `count` units of `productCode` to `account` (a uid or `root`). */
export function grantPlan(
  dataDir: string,
  account: string,
  productCode: string,
  count: number | string,
): unknown {
  return cliJson(dataDir, [
    'plan',
    'grant',
    '--account',
    account,
    '--product-code',
    productCode,
    '--count',
    String(count),
  ]);
}
