/**
 * A closed-loop latency probe, run as a child process like load.ts: `connections` keep-alive connections,
 * each sending one signed request (fresh signature and nonce), reading the whole answer and sending the next,
 * for `durationSeconds`. It times every request itself with performance.now(), so latencies keep their
 * sub-millisecond part (autocannon's histogram counts whole milliseconds, too coarse for ratios of calls that
 * take one or two).
 */
import http from 'node:http';
import { percentiles } from './common.js';
import type { LoadJob, LoadResult } from './load.js';
import { signAcs3, signV1 } from './sign.js';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as LoadJob;
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const sign = () =>
    job.scheme === 'v1'
      ? signV1(job.key, job.action, job.params)
      : signAcs3(job.key, url.host, job.action, job.params);
  const samples: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const until = started + job.durationSeconds * 1000;

  const once = () =>
    new Promise<number>((resolve, reject) => {
      const signed = sign();
      const t0 = performance.now();
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: signed.method,
          path: signed.path,
          headers: signed.headers,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) non2xx++;
            resolve(performance.now() - t0);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });

  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (performance.now() < until) {
        try {
          samples.push(await once());
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const out: LoadResult & { samples: number[] } = {
    samples,
    requests: samples.length,
    requestsPerSecond: samples.length / elapsed,
    latencyMs: percentiles(samples),
    non2xx,
    errors,
    timeouts: 0,
  };
  process.send!(out);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
