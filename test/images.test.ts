import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import pino from 'pino';
import { Registry } from 'prom-client';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import type { Services } from '../src/core/services.ts';
import { evaluateBatch, type Verdict } from '../src/evaluate/index.ts';
import { squareRgb } from '../src/images/decode.ts';
import { HashList } from '../src/images/hash-list.ts';
import { classScore, MODEL_CLASSES } from '../src/images/nsfw-classes.ts';
import { hammingDistance, hashWords, phash } from '../src/images/phash.ts';
import { imageRefs } from '../src/images/refs.ts';
import { IMAGE_ANALYZER } from '../src/images/service.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { openServices } from '../src/services/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { generatedImage, ImageCdn } from './support/image-cdn.ts';
import { blob, IMAGE_AUTHOR, imagePost, imagesEmbed } from './support/image-posts.ts';

const silent = pino({ level: 'silent' });
const distance = (a: string, b: string) => hammingDistance(hashWords(a), hashWords(b));
const hashOf = async (bytes: Buffer) => phash(await squareRgb(bytes, 32));

/**
 * `imagehash.phash` (Python ImageHash's algorithm: PIL `convert('L')`, LANCZOS to 32×32, scipy's DCT,
 * the 8×8 lowest frequencies against their median) of `generatedImage(seed, 'png')`, computed with PIL
 * 9.4 and scipy 1.10: lists made with it must match what skysift computes.
 */
const IMAGEHASH_REFERENCE: Record<number, string> = { 1: '9911b27f22772659', 2: '917ba000971b5f6f', 3: '9908d976ff0b2471', 4: '9333ac2f582b545d', 6: '9115bb4e317ad54a' };

describe('perceptual hash', () => {
  it("agrees with Python ImageHash's phash on the same images, within a few bits of resampling", async () => {
    for (const [seed, reference] of Object.entries(IMAGEHASH_REFERENCE)) {
      const ours = await hashOf(await generatedImage(Number(seed), 'png'));
      assert.match(ours, /^[0-9a-f]{16}$/);
      assert.ok(distance(ours, reference) <= 4, `seed ${seed}: ${ours} vs ImageHash ${reference}`);
    }
  });

  it('keeps a resized, re-encoded copy within a few bits and different images far apart', async () => {
    const original = await generatedImage(3, 'png');
    const copy = await sharp(original).resize(160, 120).jpeg({ quality: 60 }).toBuffer();
    assert.ok(distance(await hashOf(original), await hashOf(copy)) <= 4);
    const others = await Promise.all([1, 2, 4, 5].map(async (seed) => hashOf(await generatedImage(seed))));
    for (const other of others) assert.ok(distance(await hashOf(original), other) >= 12, other);
  });

  it('counts differing bits', () => {
    assert.equal(distance('0000000000000000', 'ffffffffffffffff'), 64);
    assert.equal(distance('8000000000000001', '0000000000000000'), 2);
    assert.equal(distance('9908d976ff0b2471', '9908d976ff0b2471'), 0);
  });
});

describe('hash lists', () => {
  it('reads hashes, notes and comments, and finds the closest entry', () => {
    const list = HashList.parse('# known images\n9908d976ff0b2471 spam wave 3\n\nFFFF000000000000  # no note\n', 'known.txt');
    assert.deepEqual(list.entries, [{ hash: '9908d976ff0b2471', note: 'spam wave 3' }, { hash: 'ffff000000000000' }]);
    assert.deepEqual(list.nearest('9908d976ff0b2470'), { hash: '9908d976ff0b2471', note: 'spam wave 3', distance: 1 });
    assert.equal(list.nearest('ffff000000000001').distance, 1);
  });

  it('names every bad line, and refuses an empty list', () => {
    assert.throws(() => HashList.parse('9908d976ff0b2471\nnot-a-hash\n9908d976ff0b247\n', 'known.txt'), /known\.txt line 2: "not-a-hash" is not a 64-bit perceptual hash.*known\.txt line 3/);
    assert.throws(() => HashList.parse('# nothing yet\n', 'known.txt'), /known\.txt lists no hashes/);
  });
});

describe("a post's images", () => {
  it('come from the images embed and a quote’s media, as Graze reads them; each blob once', () => {
    assert.deepEqual(imageRefs(imagePost('a', ['bafkreiaaaaaaaa', 'bafkreibbbbbbbb', 'bafkreiaaaaaaaa'])), [
      { did: IMAGE_AUTHOR, cid: 'bafkreiaaaaaaaa' },
      { did: IMAGE_AUTHOR, cid: 'bafkreibbbbbbbb' },
    ]);
    const quote = { $type: 'app.bsky.embed.recordWithMedia', record: { record: { uri: 'at://did:plc:x/app.bsky.feed.post/1', cid: 'bafyq' } }, media: imagesEmbed(['bafkreicccccccc']) };
    assert.deepEqual(imageRefs(imagePost('b', quote)), [{ did: IMAGE_AUTHOR, cid: 'bafkreicccccccc' }]);
    const legacy = { $type: 'app.bsky.embed.images', images: [{ alt: '', image: { cid: 'bafkreidddddddd', mimeType: 'image/png' } }] };
    assert.deepEqual(imageRefs(imagePost('c', legacy)), [{ did: IMAGE_AUTHOR, cid: 'bafkreidddddddd' }]);
  });

  it('are not link-card thumbnails, videos, or references that could not be a CDN path', () => {
    const card = { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com', title: 't', description: 'd', thumb: blob('bafkreieeeeeeee') } };
    assert.deepEqual(imageRefs(imagePost('d', card)), []);
    assert.deepEqual(imageRefs(imagePost('e', { $type: 'app.bsky.embed.video', video: blob('bafkreiffffffff') })), []);
    assert.deepEqual(imageRefs(imagePost('f', ['../../etc/passwd', 'bafk?x=1', ''])), []);
    assert.deepEqual(imageRefs(imagePost('g', undefined)), []);
  });
});

describe('image operators over a loopback CDN', () => {
  const A = 'bafkreiaseedtwo';
  const B = 'bafkreibseedfive';
  const C = 'bafkreicseedthree';
  const MISSING = 'bafkreimissing';
  const HANGING = 'bafkreihanging';
  const HUGE = 'bafkreioversized';
  let cdn: ImageCdn;
  let dir: string;
  let db: Database.Database;
  let services: Services;
  const registry = new Registry();
  const open = (metrics: Registry) =>
    openServices({ config: loadConfig({ IMAGE_CDN_URL: cdn.urlTemplate, IMAGE_TIMEOUT_SECONDS: '1', IMAGE_MAX_BYTES: '2000000' }), logger: silent, db, registry: metrics });
  const compile = async (filter: unknown, file = path.join(dir, 'manifest.json'), using = services) => {
    const { manifest, problems } = await compileManifest(file, JSON.stringify({ label: { value: 'image-test' }, filter }), { services: using.compile });
    assert.deepEqual(problems, []);
    return manifest!;
  };
  const verdicts = async (filter: unknown, posts: ConsolidatedPost[], using = services): Promise<Verdict[]> => evaluateBatch(posts, [await compile(filter, undefined, using)], using.providers);
  const leaf = (verdict: Verdict) => verdict.explanation.at(-1)!;

  before(async () => {
    cdn = await ImageCdn.start();
    cdn.blobs.set(A, { image: await generatedImage(2), type: 'image/jpeg' });
    cdn.blobs.set(B, { image: await generatedImage(5), type: 'image/jpeg' });
    // What a CDN serves: a smaller JPEG of the original, here of the PNG whose ImageHash phash is listed.
    cdn.blobs.set(C, { image: await sharp(await generatedImage(3, 'png')).resize(200, 150).jpeg({ quality: 70 }).toBuffer(), type: 'image/jpeg' });
    cdn.blobs.set(HANGING, 'hang');
    cdn.blobs.set(HUGE, 'oversized');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-images-'));
    db = openDatabase(path.join(dir, 'skysift.sqlite')).db;
    services = await open(registry);
  });
  after(async () => {
    await services.close();
    db.close();
    await cdn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('image_nsfw scores a post by its highest image score, from probabilities over the five model classes', async () => {
    const analyzer = services.compile.require(IMAGE_ANALYZER, 'images');
    const [a, b] = await analyzer.nsfw([
      { did: IMAGE_AUTHOR, cid: A },
      { did: IMAGE_AUTHOR, cid: B },
    ]);
    if (!a || 'error' in a || !b || 'error' in b) return assert.fail('both images are readable');
    for (const scores of [a, b]) {
      const total = MODEL_CLASSES.reduce((sum, c) => sum + scores[c], 0);
      assert.ok(Math.abs(total - 1) < 1e-3, `probabilities sum to ${total}`);
      assert.ok(classScore(scores, 'NSFW') < 0.5, 'generated gradients and rings are not NSFW');
      assert.ok(Math.abs(classScore(scores, 'NSFW') + classScore(scores, 'SFW') - 1) < 1e-3);
    }
    const highest = Math.max(a.Neutral, b.Neutral);
    const [both] = await verdicts({ image_nsfw: ['Neutral', '>=', highest] }, [imagePost('ab', [A, B])]);
    assert.equal(both!.matched, true);
    assert.equal(leaf(both!).score, highest);
    assert.deepEqual(leaf(both!).inputs, {
      class: 'Neutral',
      images: [
        { cid: A, score: a.Neutral },
        { cid: B, score: b.Neutral },
      ],
    });
    const [above] = await verdicts({ image_nsfw: ['Neutral', '>', highest] }, [imagePost('ab', [A, B])]);
    assert.equal(above!.matched, false);
    const [quote] = await verdicts({ image_nsfw: ['Neutral', '==', a.Neutral] }, [imagePost('q', { $type: 'app.bsky.embed.recordWithMedia', media: imagesEmbed([A]) })]);
    assert.equal(quote!.matched, true, "a quote's media is scored");
  });

  it('image_nsfw gives a post without images the score 0: kept by ["NSFW", "<=", t], never labelled by ["NSFW", ">=", t]', async () => {
    const textOnly = imagePost('t', undefined);
    const [kept] = await verdicts({ image_nsfw: ['NSFW', '<=', 0.5] }, [textOnly]);
    assert.equal(kept!.matched, true);
    assert.deepEqual(leaf(kept!), { path: 'filter.image_nsfw', op: 'image_nsfw', result: true, inputs: { class: 'NSFW', images: [] }, score: 0 });
    const [labelled] = await verdicts({ image_nsfw: ['NSFW', '>=', 0.1] }, [textOnly]);
    assert.equal(labelled!.matched, false);
  });

  it('caches by blob CID: another post with the image, a second pass and a restarted service download nothing', async () => {
    const filter = { or: [{ image_nsfw: ['Porn', '>=', 0.9] }, { image_hash_match: ['known.txt', 4] }] };
    fs.writeFileSync(path.join(dir, 'known.txt'), '0000000000000000\n');
    await verdicts(filter, [imagePost('c1', [C])]);
    const hits = cdn.totalHits;
    assert.equal(cdn.hits.get(C), 1, 'one download serves both operators');
    const again = await verdicts(filter, [imagePost('c1', [C]), imagePost('c2', [C, A])]);
    assert.ok(again.every((v) => v.matched === false));
    assert.equal(cdn.totalHits, hits, 'nothing downloaded again');
    const restarted = await open(new Registry());
    try {
      const verdict = await verdicts({ image_nsfw: ['Porn', '>=', 0.9] }, [imagePost('c3', [C, A, B])], restarted);
      assert.equal(verdict[0]!.matched, false);
      assert.equal(cdn.totalHits, hits, 'the scores come from SQLite after a restart');
    } finally {
      await restarted.close();
    }
    const lookups = (await registry.getSingleMetric('skysift_image_cache_lookups_total')!.get()).values;
    assert.ok(lookups.some((v) => v.labels.result === 'hit' && v.labels.kind === 'nsfw' && v.value >= 2));
  });

  it('leaves the leaf undecided when an image cannot be read: HTTP 404, a timeout, an oversized body', async () => {
    const started = Date.now();
    const results = await verdicts({ image_nsfw: ['NSFW', '<=', 0.5] }, [imagePost('m', [MISSING]), imagePost('h', [HANGING]), imagePost('o', [HUGE])]);
    assert.ok(Date.now() - started < 8000, 'the timeout (1 s) bounds the wait');
    assert.deepEqual(
      results.map((v) => v.matched),
      [null, null, null],
    );
    const reasons = results.map((v) => (v.matched === null ? v.undecided : ''));
    assert.match(reasons[0]!, /1 of 1 images could not be analysed .*HTTP 404/);
    assert.match(reasons[1]!, /did not arrive within 1000 ms/);
    assert.match(reasons[2]!, /above IMAGE_MAX_BYTES \(2000000\)/);
    const fetches = (await registry.getSingleMetric('skysift_image_fetches_total')!.get()).values;
    for (const outcome of ['http_error', 'timeout', 'too_large', 'ok']) assert.ok(fetches.some((v) => v.labels.outcome === outcome && v.value > 0), outcome);
    const [retried] = await verdicts({ image_nsfw: ['NSFW', '<=', 0.5] }, [imagePost('m', [MISSING])]);
    assert.equal(retried!.matched, null, 'a failure is not cached: the next sighting tries again');
    assert.equal(cdn.hits.get(MISSING), 2);
  });

  it('decides despite a failed image when the others already decide (a highest score can only rise)', async () => {
    const [a] = await services.compile.require(IMAGE_ANALYZER, 'images').nsfw([{ did: IMAGE_AUTHOR, cid: A }]);
    if (!a || 'error' in a) return assert.fail('image A is readable');
    const post = imagePost('am', [A, MISSING]);
    const [over] = await verdicts({ image_nsfw: ['Neutral', '>=', a.Neutral / 2] }, [post]);
    assert.equal(over!.matched, true);
    assert.deepEqual((leaf(over!).inputs as { failed: unknown }).failed, [{ cid: MISSING, error: `${cdn.urlTemplate.replace('{did}', IMAGE_AUTHOR).replace('{cid}', MISSING)} answered HTTP 404` }]);
    const [under] = await verdicts({ image_nsfw: ['Neutral', '<', a.Neutral / 2] }, [post]);
    assert.equal(under!.matched, false);
    const [unknown] = await verdicts({ image_nsfw: ['Neutral', '<', 1] }, [post]);
    assert.equal(unknown!.matched, null);
  });

  it('image_hash_match matches an image listed by its ImageHash phash, with the Hamming distance and note in the explanation', async () => {
    fs.writeFileSync(path.join(dir, 'known.txt'), `# made with imagehash.phash\n${IMAGEHASH_REFERENCE[3]} spam wave 3\n${IMAGEHASH_REFERENCE[4]}\n`);
    const [listed, other, none] = await verdicts({ image_hash_match: ['known.txt', 6] }, [imagePost('l', [A, C]), imagePost('o', [B]), imagePost('n', undefined)]);
    assert.equal(listed!.matched, true);
    const images = (leaf(listed!).inputs as { images: { cid: string; distance: number; listed: string; note?: string }[] }).images;
    const match = images.find((i) => i.cid === C)!;
    assert.equal(match.listed, IMAGEHASH_REFERENCE[3]);
    assert.equal(match.note, 'spam wave 3');
    assert.ok(match.distance <= 4, `distance ${match.distance}`);
    assert.equal(leaf(listed!).score, match.distance);
    assert.equal(other!.matched, false);
    assert.ok(leaf(other!).score! > 6);
    assert.deepEqual(leaf(none!).inputs, { list: 'known.txt', images: [] });
    assert.equal(none!.matched, false);
  });

  it('image_hash_match is undecided on an unreadable image unless another image matched', async () => {
    fs.writeFileSync(path.join(dir, 'known.txt'), `${IMAGEHASH_REFERENCE[3]}\n`);
    const [matched, unknown] = await verdicts({ image_hash_match: ['known.txt', 6] }, [imagePost('cm', [MISSING, C]), imagePost('am', [A, MISSING])]);
    assert.equal(matched!.matched, true);
    assert.equal(unknown!.matched, null);
  });

  it('rejects a missing or malformed hash list, an unknown class and a threshold outside [0, 1] when the manifest loads', async () => {
    const problems = async (filter: unknown) =>
      (await compileManifest(path.join(dir, 'bad.json'), JSON.stringify({ label: { value: 'bad' }, filter }), { services: services.compile })).problems.map((p) => `${p.path}: ${p.message}`);
    assert.match((await problems({ image_hash_match: ['nowhere.txt', 6] })).join(), /filter\.image_hash_match: image_hash_match: cannot read the hash list .*nowhere\.txt: ENOENT/);
    fs.writeFileSync(path.join(dir, 'broken.txt'), '9908d976ff0b2471\n12345\n');
    assert.deepEqual(await problems({ image_hash_match: ['broken.txt', 6] }), ['filter.image_hash_match: broken.txt line 2: "12345" is not a 64-bit perceptual hash (16 hex digits)']);
    assert.match((await problems({ image_hash_match: ['broken.txt', 65] })).join(), /filter\.image_hash_match\[1\]/);
    assert.deepEqual(await problems({ image_nsfw: ['nsfw', '>=', 0.5] }), ['filter.image_nsfw[0]: unknown image class "nsfw": use one of NSFW, SFW, Drawing, Hentai, Neutral, Porn, Sexy']);
    assert.match((await problems({ image_nsfw: ['NSFW', '>=', 2] })).join(), /filter\.image_nsfw\[2\]/);
  });
});
