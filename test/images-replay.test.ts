import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { SHIPPED_MODELS_DIR } from '../src/models/model-file.ts';
import { loadToxicityModel } from '../src/toxicity/load.ts';
import { runCli } from './support/cli.ts';
import { generatedImage, ImageCdn } from './support/image-cdn.ts';
import { imagePost, imagePostEvent } from './support/image-posts.ts';

const LISTED = 'bafkreilistedimage';
const OTHER = 'bafkreiotherimage';
const MISSING = 'bafkreimissingimage';
/** `imagehash.phash` of `generatedImage(3, 'png')` (see images.test.ts). */
const LISTED_HASH = '9908d976ff0b2471';
const TOXIC = 'You are a pathetic, worthless idiot and a disgusting liar. Shut the fuck up, loser.';
/** The threshold the toxicity model card quotes, chosen on validation posts. */
const { threshold } = loadToxicityModel(SHIPPED_MODELS_DIR);

const manifests = {
  'known-image.json': {
    label: { value: 'known-image' },
    filter: {
      and: [{ embed_type: ['==', 'image'] }, { not: { regex_matches: ['text', '#art\\b'] } }, { or: [{ image_hash_match: ['known-images.txt', 6] }, { image_nsfw: ['NSFW', '>=', 0.8] }] }],
    },
  },
  'toxic.json': { label: { value: 'toxic' }, filter: { and: [{ entity_matches: ['langs', ['en']] }, { toxicity_analysis: ['Toxic', '>=', threshold] }] } },
  'calm-images.json': {
    label: { value: 'calm-images' },
    filter: { and: [{ embed_type: ['==', 'image'] }, { image_nsfw: ['SFW', '>=', 0.5] }, { toxicity_analysis: ['Toxic', '<', threshold] }] },
  },
};

const posts = [
  imagePost('p1listed', [LISTED], 'new drop'),
  imagePost('p2art', [LISTED], 'study for a painting #art'),
  imagePost('p3other', [OTHER], 'my garden'),
  imagePost('p4missing', [MISSING], 'this one will not load'),
  { ...imagePost('p5toxic', undefined, TOXIC), record: { text: TOXIC, createdAt: '2026-07-04T12:00:00.000Z', langs: ['en'] } },
  { ...imagePost('p6calm', undefined), record: { text: 'What a lovely sunset over the lake this evening.', createdAt: '2026-07-04T12:00:00.000Z', langs: ['en'] } },
];
const uri = (rkey: string) => posts.find((p) => p.uri.endsWith(rkey))!.uri;

describe('a manifest set combining image and toxicity operators with rules, replayed', () => {
  let cdn: ImageCdn;
  let dir: string;
  let capture: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    cdn = await ImageCdn.start();
    cdn.blobs.set(LISTED, { image: await sharp(await generatedImage(3, 'png')).resize(240, 180).jpeg({ quality: 75 }).toBuffer(), type: 'image/jpeg' });
    cdn.blobs.set(OTHER, { image: await generatedImage(6), type: 'image/jpeg' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-images-replay-'));
    const manifestsDir = path.join(dir, 'manifests');
    fs.mkdirSync(manifestsDir);
    for (const [file, manifest] of Object.entries(manifests)) fs.writeFileSync(path.join(manifestsDir, file), JSON.stringify(manifest, null, 2));
    fs.writeFileSync(path.join(manifestsDir, 'known-images.txt'), `# known images (imagehash.phash)\n${LISTED_HASH} listed in the test\n`);
    capture = path.join(dir, 'capture.jsonl');
    fs.writeFileSync(capture, posts.map((p, i) => JSON.stringify(imagePostEvent(p, 1_780_000_000_000_000 + i))).join('\n'));
    env = { DATA_DIR: path.join(dir, 'data'), MANIFESTS_DIR: manifestsDir, IMAGE_CDN_URL: cdn.urlTemplate, LOG_LEVEL: 'warn' };
  });
  after(async () => {
    await cdn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('labels what the dry run says, leaves the post with an unreadable image unlabelled, and a second replay downloads and emits nothing new', async () => {
    const dry = await runCli(['evaluate', env.MANIFESTS_DIR!, capture], env);
    assert.equal(dry.code, 0, dry.stderr);
    const verdicts = dry.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { uri: string; label: string; matched: boolean | null });
    const matched = verdicts.filter((v) => v.matched).map((v) => `${v.uri} ${v.label}`);
    assert.deepEqual(
      new Set(matched),
      new Set([`${uri('p1listed')} known-image`, `${uri('p1listed')} calm-images`, `${uri('p2art')} calm-images`, `${uri('p3other')} calm-images`, `${uri('p5toxic')} toxic`]),
    );
    assert.deepEqual(
      new Set(verdicts.filter((v) => v.matched === null).map((v) => `${v.uri} ${v.label}`)),
      new Set([`${uri('p4missing')} known-image`, `${uri('p4missing')} calm-images`]),
      'the unreadable image leaves both image manifests undecided',
    );

    const first = await runCli(['replay', capture], env);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), {
      events: posts.length,
      malformedLines: 0,
      labelled: matched.length,
      negated: 0,
      labels: { 'known-image': { labelled: 1, negated: 0 }, 'calm-images': { labelled: 3, negated: 0 }, toxic: { labelled: 1, negated: 0 } },
    });
    const downloaded = { listed: cdn.hits.get(LISTED), other: cdn.hits.get(OTHER), missing: cdn.hits.get(MISSING)! };

    const second = await runCli(['replay', capture], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { events: posts.length, malformedLines: 0, labelled: 0, negated: 0, labels: {} });
    assert.equal(cdn.hits.get(LISTED), downloaded.listed, 'scores and hashes come from the SQLite cache');
    assert.equal(cdn.hits.get(OTHER), downloaded.other);
    assert.ok(cdn.hits.get(MISSING)! > downloaded.missing, 'a failed image is tried again on the next sighting');

    const explained = await runCli(['explain', uri('p1listed')], env);
    assert.equal(explained.code, 0, explained.stderr);
    assert.match(explained.stdout, /image_hash_match/);
    assert.match(explained.stdout, /"distance":\s*\d/);
  });
});
