/**
 * API throughput: signed DescribePackageState (V1 and ACS3) against a real OpenCAS server, side by side with
 * a bare node:http server that answers every request with the same bytes, driven by the same load generator
 * (autocannon in a child process) with the same connections and duration, in the same run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { benchServer, round, runChild, type BenchOptions, type SectionResult } from './common.js';
import type { LoadJob, LoadResult, Scheme } from './load.js';
import { signV1, type Key } from './sign.js';

const CONNECTIONS = 20;
const TARGET_RATIO = 0.7;
const ACTION = 'DescribePackageState';
const PARAMS = { ProductCode: 'digicert-free-1-free' };
const ROOT_KEY: Key = {
  accessKeyId: 'LTAIbenchroot000000001',
  accessKeySecret: 'bench-root-secret-0123456789abcdef',
};

const runLoad = (job: LoadJob) => runChild<LoadResult>('load.ts', job);

export async function apiThroughput({ quick }: BenchOptions): Promise<SectionResult> {
  const DURATION_S = quick ? 3 : 15;
  const WARMUP_S = quick ? 1 : 3;
  const opencas = await benchServer('api', ROOT_KEY);
  let bare: http.Server | undefined;
  try {
    // One real call (it also makes the starter grant, so the measured calls are all reads) gives the bytes
    // the bare server will answer with.
    const first = signV1(ROOT_KEY, ACTION, PARAMS);
    const res = await fetch(opencas.url + first.path);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`OpenCAS answered ${res.status}: ${body.toString()}`);
    const contentType = res.headers.get('content-type') ?? 'application/json; charset=utf-8';
    bare = http.createServer({ keepAliveTimeout: 72_000 }, (req, reply) => {
      req.resume();
      req.on('end', () => {
        reply.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
        reply.end(body);
      });
    });
    await new Promise<void>((resolve) => bare!.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

    const targets: { name: string; url: string; scheme: Scheme }[] = [
      { name: 'bare node:http (V1-signed requests)', url: bareUrl, scheme: 'v1' },
      { name: 'OpenCAS, V1 (HMAC-SHA1)', url: opencas.url, scheme: 'v1' },
      { name: 'bare node:http (ACS3-signed requests)', url: bareUrl, scheme: 'acs3' },
      { name: 'OpenCAS, ACS3-HMAC-SHA256', url: opencas.url, scheme: 'acs3' },
    ];
    const results: (LoadResult & {
      serverCpuPercent: number;
      name: string;
      scheme: Scheme;
      target: 'bare' | 'opencas';
    })[] = [];
    for (const t of targets) {
      const job = {
        url: t.url,
        scheme: t.scheme,
        connections: CONNECTIONS,
        key: ROOT_KEY,
        action: ACTION,
        params: PARAMS,
      };
      await runLoad({ ...job, durationSeconds: WARMUP_S });
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const r = await runLoad({ ...job, durationSeconds: DURATION_S });
      const cpu = process.cpuUsage(cpu0);
      // CPU time of this process (both servers live here) over the measured run, in percent of one core.
      const serverCpuPercent = round((100 * (cpu.user + cpu.system)) / 1000 / (performance.now() - wall0));
      if (r.non2xx || r.errors || r.timeouts)
        throw new Error(`${t.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
      results.push({
        ...r,
        serverCpuPercent,
        name: t.name,
        scheme: t.scheme,
        target: t.url === bareUrl ? 'bare' : 'opencas',
      });
      console.error(`${t.name}: ${round(r.requestsPerSecond)} req/s`);
    }

    const find = (target: string, scheme: Scheme) =>
      results.find((r) => r.target === target && r.scheme === scheme)!;
    const ratios = (['v1', 'acs3'] as const).map((scheme) => {
      const b = find('bare', scheme);
      const o = find('opencas', scheme);
      const ratio = o.requestsPerSecond / b.requestsPerSecond;
      return { scheme, ratio: round(ratio, 3), target: TARGET_RATIO, met: ratio >= TARGET_RATIO };
    });

    const json = {
      action: ACTION,
      loadGenerator:
        'autocannon (child process), keep-alive, pipelining 1, fresh signature and nonce per request',
      connections: CONNECTIONS,
      durationSeconds: DURATION_S,
      warmupSeconds: WARMUP_S,
      responseBytes: body.length,
      store: 'SQLite',
      loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
      results: results.map((r) => ({
        name: r.name,
        target: r.target,
        scheme: r.scheme,
        requests: r.requests,
        requestsPerSecond: round(r.requestsPerSecond),
        p50Ms: r.latencyMs.p50,
        p99Ms: r.latencyMs.p99,
        meanMs: round(r.latencyMs.mean, 2),
        serverCpuPercent: r.serverCpuPercent,
      })),
      ratios,
    };

    const markdown = [
      `## API throughput: signed ${ACTION}`,
      '',
      `SQLite. autocannon in a child process, ${CONNECTIONS} keep-alive connections, ${DURATION_S} s per ` +
        `target after ${WARMUP_S} s of warm-up, a fresh signature and nonce on every request.`,
      '',
      '| target | requests/s | p50 ms | p99 ms | server CPU % of a core |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...results.map(
        (r) =>
          `| ${r.name} | ${round(r.requestsPerSecond)} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.serverCpuPercent} |`,
      ),
      '',
      'Server CPU: time used by the process holding both servers, in percent of one core. With the ' +
        'server well under 100 %, the load generator set the pace. The machine may be shared: absolute ' +
        `figures drift from run to run (1-minute load average at the end: ${json.loadAverageAtEnd[0]}); ` +
        'compare the ratios.',
      '',
      '| scheme | OpenCAS / bare | target | met |',
      '| --- | ---: | ---: | --- |',
      ...ratios.map((r) => `| ${r.scheme} | ${r.ratio} | ≥ ${r.target} | ${r.met ? 'yes' : 'no'} |`),
      '',
    ].join('\n');

    return {
      json,
      markdown,
      targets: ratios.map((r) => ({
        name: `API throughput, ${r.scheme === 'v1' ? 'V1' : 'ACS3'}: OpenCAS / bare node:http`,
        value: r.ratio,
        target: `≥ ${TARGET_RATIO}`,
        met: r.met,
      })),
    };
  } finally {
    await new Promise((resolve) => (bare ? bare.close(resolve) : resolve(undefined)));
    bare?.closeAllConnections();
    await opencas.close();
  }
}
