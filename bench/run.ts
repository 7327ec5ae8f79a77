/**
 * `npm run bench [-- --quick]`: the benchmarks of issue 6, each a section in its own module, run one after
 * the other (never side by side: they would share the machine's cores). Every figure is reported beside a
 * baseline measured in the same run.
 *
 * Writes bench/results/<date>.json and bench/results/<date>.md (`<date>-quick` for a quick run) and prints
 * the Markdown summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { apiThroughput } from './api.js';
import { serverKeys } from './keys.js';
import { benchDir, machine, type Section, type SectionResult } from './common.js';
import { issuanceThroughput } from './issuance.js';
import { scale } from './scale.js';
import { validationLatency } from './validation.js';

const SECTIONS: Section[] = [
  { key: 'apiThroughput', run: apiThroughput },
  { key: 'issuanceThroughput', run: issuanceThroughput },
  { key: 'serverKeys', run: serverKeys },
  { key: 'scale', run: scale },
  { key: 'validationLatency', run: validationLatency },
];

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const started = performance.now();
  const m = machine();
  const results: Record<string, SectionResult> = {};
  for (const section of SECTIONS) {
    if (only && !only.includes(section.key)) continue;
    const t0 = performance.now();
    console.error(`# ${section.key}`);
    results[section.key] = await section.run({ quick });
    console.error(`# ${section.key}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  const date = new Date().toISOString().slice(0, 10);
  const targets = Object.values(results).flatMap((r) => r.targets);
  const report = {
    date: new Date().toISOString(),
    quick,
    machine: m,
    seconds,
    targets,
    ...Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.json])),
  };
  const md = [
    `# OpenCAS benchmarks${quick ? ' (quick run: smoke test, figures not meaningful)' : ''}`,
    '',
    `${date}, ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; ${seconds} s in all.`,
    '',
    '| target | measured | target | met |',
    '| --- | ---: | ---: | --- |',
    ...targets.map((t) => `| ${t.name} | ${t.value} | ${t.target} | ${t.met ? 'yes' : 'no'} |`),
    '',
    ...Object.values(results).map((r) => r.markdown),
  ].join('\n');

  const outDir = path.join(benchDir, 'results');
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, quick ? `${date}-quick` : date);
  writeFileSync(base + '.json', JSON.stringify(report, null, 2) + '\n');
  writeFileSync(base + '.md', md);
  console.log(md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
