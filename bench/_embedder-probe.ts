/**
 * One embedder in a process of its own (started by bench/embeddings.ts, pinned to one core where
 * `taskset` exists), so that its speed and resident memory are its own: prints one JSON line.
 * Usage: node --import tsx bench/_embedder-probe.ts <model-name> <texts.json> <models dir>
 */
import fs from 'node:fs';
import { EmbedderRegistry } from '../src/models/embedders/registry.ts';

const [name, textsFile, modelsDir] = process.argv.slice(2) as [string, string, string];
const texts = JSON.parse(fs.readFileSync(textsFile, 'utf8')) as string[];
const BATCH = 16;
const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

const before = rssMb();
const loadStarted = performance.now();
const embedder = await new EmbedderRegistry({ modelsDir, allowRemote: false }).resolve(name);
const loadMs = Math.round(performance.now() - loadStarted);
await embedder.embed(texts.slice(0, BATCH));

/**
 * Embeds the texts in micro-batches (as the embedding provider does), round and round, for `minMs`: per second
 * of wall time, and per second of this process's CPU time (what one core does when other processes share it).
 */
async function perSecond(minMs: number): Promise<{ wall: number; cpu: number }> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let done = 0;
  for (let i = 0; performance.now() - started < minMs; i = (i + BATCH) % texts.length) {
    const batch = texts.slice(i, i + BATCH);
    await embedder.embed(batch);
    done += batch.length;
  }
  const cpu = process.cpuUsage(cpuStarted);
  return { wall: Math.round((done * 1000) / (performance.now() - started)), cpu: Math.round((done * 1e6) / (cpu.user + cpu.system)) };
}

const rate = await perSecond(name === 'universal-sentence-encoder' ? 15_000 : 5_000);
const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
console.log(JSON.stringify({ dimensions: embedder.dimensions, perSecond: rate.wall, perCpuSecond: rate.cpu, loadMs, rssBeforeMb: before, rssMb: rssMb(), peakRssMb: Math.round(Number(kb) / 1024) }));
