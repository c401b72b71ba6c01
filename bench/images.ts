import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { squareRgb } from '../src/images/decode.ts';
import { ImageMetrics } from '../src/images/metrics.ts';
import { NsfwModel } from '../src/images/nsfw-model.ts';
import { MODEL_INPUT_SIZE } from '../src/images/nsfw-protocol.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { openServices } from '../src/services/index.ts';
import { generatedImage, ImageCdn } from '../test/support/image-cdn.ts';
import { imagePost } from '../test/support/image-posts.ts';
import { loadAverage, measure } from './_measure.ts';

const IMAGES = 96;
const silent = pino({ level: 'silent' });
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * The image operators end to end against a loopback CDN serving real JPEGs (640×480, about a feed
 * thumbnail): images/s through download, decoding and the NSFW model (nsfwjs MobileNetV2 on the
 * TensorFlow.js WebAssembly backend, in its worker thread); the model alone on decoded pixels; the
 * perceptual hash alone; and posts/s of a manifest using both operators (1–4 images a post) with a
 * cold cache, then answered from the cache; per CPU-second beside wall-clock, and the load average, since the machine is shared.
 */
export async function run(): Promise<Record<string, number | string>> {
  const cdn = await ImageCdn.start();
  const cids = Array.from({ length: IMAGES }, (_, i) => `bafkreibench${String(i).padStart(4, '0')}`);
  const images = await Promise.all(cids.map((_, i) => generatedImage(i + 1, 'jpeg', 640, 480)));
  cids.forEach((cid, i) => cdn.blobs.set(cid, { image: images[i]!, type: 'image/jpeg' }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-images-'));
  const model = new NsfwModel({ batchSize: 16, logger: silent, metrics: new ImageMetrics() });
  const services = await openServices({ config: loadConfig({ IMAGE_CDN_URL: cdn.urlTemplate }), logger: silent });
  try {
    const loadStart = process.hrtime.bigint();
    await model.classify([await squareRgb(images[0]!, MODEL_INPUT_SIZE)]);
    const loadSeconds = seconds(loadStart);
    const pixels = await Promise.all(images.map((bytes) => squareRgb(bytes, MODEL_INPUT_SIZE)));
    // CPU time counts the whole process, the model's worker thread included.
    const modelRun = await measure(async () => {
      await model.classify(pixels);
    });

    const hashStart = process.hrtime.bigint();
    await Promise.all(images.map((bytes) => squareRgb(bytes, 32)));
    const hashSeconds = seconds(hashStart);

    const manifest = JSON.stringify({ label: { value: 'bench-images' }, filter: { or: [{ image_hash_match: ['known.txt', 6] }, { image_nsfw: ['NSFW', '>=', 0.8] }] } });
    fs.writeFileSync(path.join(dir, 'known.txt'), '0000000000000000 matches none of the bench images\n');
    const { manifest: compiled, problems } = await compileManifest(path.join(dir, 'images.json'), manifest, { services: services.compile });
    if (!compiled) throw new Error(problems.map((p) => p.message).join('; '));
    const posts: ReturnType<typeof imagePost>[] = [];
    for (let i = 0, n = 0; i < IMAGES; n++) {
      const count = 1 + (n % 4);
      posts.push(imagePost(`bench${n}`, cids.slice(i, i + count)));
      i += count;
    }
    let verdicts: Awaited<ReturnType<typeof evaluateBatch>> = [];
    const cold = await measure(async () => {
      verdicts = await evaluateBatch(posts, [compiled], services.providers);
    });
    if (verdicts.some((v) => v.matched === null)) throw new Error('an image failed in the bench');
    const warmStart = process.hrtime.bigint();
    let warmPosts = 0;
    while (seconds(warmStart) < 1) {
      await evaluateBatch(posts, [compiled], services.providers);
      warmPosts += posts.length;
    }
    return {
      'images/s (download + decode + NSFW model)': Number((IMAGES / cold.seconds).toFixed(1)),
      'images per CPU-second (download + decode + NSFW model)': Number((IMAGES / cold.cpuSeconds).toFixed(1)),
      'images/s (NSFW model alone, batches of 16)': Number((IMAGES / modelRun.seconds).toFixed(1)),
      'images per CPU-second (NSFW model alone)': Number((IMAGES / modelRun.cpuSeconds).toFixed(1)),
      'images/s (decode + phash)': Math.round(IMAGES / hashSeconds),
      'posts/s (hash + NSFW manifest, cold cache)': Number((posts.length / cold.seconds).toFixed(1)),
      'posts per CPU-second (hash + NSFW manifest, cold cache)': Number((posts.length / cold.cpuSeconds).toFixed(1)),
      'posts/s (same posts, cached by CID)': Math.round(warmPosts / seconds(warmStart)),
      'model start s': Number(loadSeconds.toFixed(1)),
      'load average (1 min)': loadAverage(),
    };
  } finally {
    await model.close();
    await services.close();
    await cdn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
