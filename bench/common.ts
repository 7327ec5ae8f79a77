/**
 * What every benchmark section shares: the run's options, the machine it ran on, the shape of a section's
 * result, and small helpers. bench/run.ts runs the sections in order and writes one report.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/serve.js';
import type { Key } from './sign.js';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));

export interface BenchOptions {
  /** A short smoke run (CI may call it): same code paths, smaller numbers, figures not meaningful. */
  quick: boolean;
}

/** One target of issue 6, measured against its baseline in the same run. */
export interface TargetCheck {
  name: string;
  /** The measured figure, in the unit the target is stated in. */
  value: number;
  /** The target, as text: "≥ 0.7", "≤ 50 ms". */
  target: string;
  met: boolean;
}

export interface SectionResult {
  /** Everything measured, for the JSON report. */
  json: unknown;
  /** A Markdown section (starting with a `##` heading) for the summary. */
  markdown: string;
  targets: TargetCheck[];
}

export interface Section {
  /** Key in the JSON report, e.g. "apiThroughput". */
  key: string;
  run(options: BenchOptions): Promise<SectionResult>;
}

export const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}

/** Percentiles of a list of samples (nearest rank), in the samples' unit. */
export function percentiles(samples: number[]): { p50: number; p99: number; mean: number; max: number } {
  if (samples.length === 0) return { p50: 0, p99: 0, mean: 0, max: 0 };
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return { p50: at(50), p99: at(99), mean: s.reduce((a, b) => a + b, 0) / s.length, max: s[s.length - 1]! };
}

/** Runs a TypeScript module of bench/ in a child process (its own event loop and core) and returns its one IPC message. */
export function runChild<T>(file: string, job: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(benchDir, file), [JSON.stringify(job)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: T | undefined;
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code) =>
      result !== undefined ? resolve(result) : reject(new Error(`${file} exited with ${code}`)),
    );
  });
}

/**
 * An OpenCAS server for a benchmark, in this process: a fresh data folder (removed again by close()), port 0,
 * no logs, no rate limits, `key` as the root AccessKey, and `flags` (config keys, as on the command line) on top.
 */
export async function benchServer(
  prefix: string,
  key: Key,
  flags: Record<string, string> = {},
): Promise<RunningServer & { dataDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `opencas-bench-${prefix}-`));
  try {
    const server = await startServer(
      loadConfig(
        {
          host: '127.0.0.1',
          port: '0',
          dataDir,
          logLevel: 'silent',
          rateLimits: 'off',
          rootAccessKeyId: key.accessKeyId,
          rootAccessKeySecret: key.accessKeySecret,
          ...flags,
        },
        {},
      ),
    );
    return {
      ...server,
      dataDir,
      async close() {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
