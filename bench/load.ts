/**
 * The load generator, run as a child process of bench/run.ts so that it does not share an event loop
 * (or a core) with the servers under test. It receives its job as JSON in argv[2], drives the target
 * with autocannon (keep-alive, every request signed afresh) and sends the summary back over IPC.
 */
import autocannon from 'autocannon';
import { signAcs3, signV1, type Key } from './sign.js';

export type Scheme = 'v1' | 'acs3';

export interface LoadJob {
  url: string;
  scheme: Scheme;
  connections: number;
  durationSeconds: number;
  key: Key;
  action: string;
  params: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as LoadJob;
  const host = new URL(job.url).host;
  const sign = () =>
    job.scheme === 'v1'
      ? signV1(job.key, job.action, job.params)
      : signAcs3(job.key, host, job.action, job.params);
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    duration: job.durationSeconds,
    requests: [
      {
        setupRequest: (req) => {
          const signed = sign();
          return { ...req, method: signed.method, path: signed.path, headers: signed.headers };
        },
      },
    ],
  });
  const out: LoadResult = {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / (result.duration || job.durationSeconds),
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.average,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.send!(out);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
