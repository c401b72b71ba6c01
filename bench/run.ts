/**
 * `npm run bench`: runs every `bench/*.ts` module (each exports `run()` returning named measurements),
 * prints one table and writes `bench/results.json`. Pass names to run a subset: `npm run bench -- rules ml`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { progress } from '../src/cli/progress.ts';

type Measurements = Record<string, number | string>;

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = new Set(process.argv.slice(2));
const suites = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.size === 0 || wanted.has(name))
  .sort();

function format(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 3 : 1 });
}

const results: Record<string, Measurements> = {};
const shown = progress('bench');
for (const [i, suite] of suites.entries()) {
  shown.update(`${suite} (${i + 1} of ${suites.length})`);
  const mod = (await import(pathToFileURL(path.join(here, `${suite}.ts`)).href)) as { run: () => Promise<Measurements> };
  const started = performance.now();
  try {
    results[suite] = await mod.run();
  } catch (error) {
    results[suite] = { error: (error as Error).message };
  }
  results[suite]!['suite seconds'] = Math.round((performance.now() - started) / 100) / 10;
}
shown.done();

const rows = Object.entries(results).flatMap(([suite, m]) => Object.entries(m).map(([name, value]) => [suite, name, format(value)]));
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['suite', 'measurement', 'value'][i]!.length));
const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
console.log(`skysift bench — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}\n`);
console.log(line(['suite', 'measurement', 'value']));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
fs.writeFileSync(
  path.join(here, 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, node: process.version, results }, null, 2)}\n`,
);
