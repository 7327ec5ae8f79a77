/**
 * An open-loop load generator, run as a child process of the benchmark: it sends signed requests on a fixed
 * schedule (request i at start + i / rate), never waiting for earlier answers, so a slow server cannot slow
 * the offered load down. Each latency is measured from the request's scheduled time to the end of its
 * answer, so time spent queued in the generator counts too (no coordinated omission). Job as JSON in argv[2],
 * result over IPC.
 */
import http from 'node:http';
import { signV1, type Key } from './sign.js';

export interface OpenLoopJob {
  url: string;
  key: Key;
  action: string;
  /** Request parameters; `{i}` in a value becomes the request's number. */
  params: Record<string, string>;
  ratePerSecond: number;
  durationSeconds: number;
}

export interface OpenLoopResult {
  sent: number;
  /** Milliseconds from the scheduled send time to the end of the answer, of the 2xx answers. */
  latenciesMs: number[];
  non2xx: number;
  errors: number;
  /** The first few failing answers, to say why. */
  failures: string[];
  /** Largest lag of a send behind its schedule, in ms (the generator's own delay). */
  maxSendLagMs: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as OpenLoopJob;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(job.ratePerSecond * job.durationSeconds);
  const result: OpenLoopResult = {
    sent: 0,
    latenciesMs: [],
    non2xx: 0,
    errors: 0,
    failures: [],
    maxSendLagMs: 0,
  };
  const inFlight: Promise<void>[] = [];
  const start = performance.now() + 50;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / job.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    result.maxSendLagMs = Math.max(result.maxSendLagMs, performance.now() - due);
    const params = Object.fromEntries(
      Object.entries(job.params).map(([k, v]) => [k, v.replaceAll('{i}', String(i))]),
    );
    const signed = signV1(job.key, job.action, params);
    result.sent++;
    inFlight.push(
      new Promise<void>((resolve) => {
        const req = http.request(
          job.url + signed.path,
          { method: signed.method, headers: signed.headers, agent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) result.latenciesMs.push(performance.now() - due);
              else {
                result.non2xx++;
                if (result.failures.length < 5)
                  result.failures.push(`${status} ${Buffer.concat(chunks).toString().slice(0, 300)}`);
              }
              resolve();
            });
          },
        );
        req.on('error', (err) => {
          result.errors++;
          if (result.failures.length < 5) result.failures.push(err.message);
          resolve();
        });
        req.end();
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  process.send!(result);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
