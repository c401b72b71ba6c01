import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../src/models/random.ts';
import { classify, type FeatureBlock } from '../src/political/model.ts';
import { crossFit } from '../src/political/train/cross-fit.ts';
import type { LabelledPost, Post } from '../src/political/train/data.ts';
import { binaryMetrics } from '../src/political/train/evaluate.ts';
import { DEFAULT_FIT_OPTIONS } from '../src/political/train/fit.ts';
import { marginOf } from '../src/political/train/recipe.ts';

const fit = { ...DEFAULT_FIT_OPTIONS, epochs: 8 };
const teacherFeatures: FeatureBlock[] = [{ kind: 'ngrams', bits: 12, scale: 0.35 }];
const studentFeatures: FeatureBlock[] = [{ kind: 'ngrams', bits: 14, scale: 1 }];
const settings = { input: (post: Post) => ({ text: post.text }), options: fit, minRecall: 0.85, leanBalance: 0.5 };
const BANDS = [
  { low: 0.2, high: 0.8 },
  { low: 0, high: 1 },
];

/** Posts of their own authors, each with two words no other post has, and `signal` words (or none) before them. */
function posts(count: number, label: (i: number) => boolean, signal: (positive: boolean) => string): LabelledPost[] {
  return Array.from({ length: count }, (_, i) => {
    const sociopolitical = label(i);
    return { id: `p${i}`, author: `did:plc:${i}`, source: 'test', text: `${signal(sociopolitical)} qz${i}x vk${i}y`.trim(), sociopolitical, lean: sociopolitical ? 'left' : null };
  });
}

const plan = (labelled: LabelledPost[], unlabelled: Post[] = []) => ({
  teacher: { features: teacherFeatures, fit },
  student: { features: studentFeatures, fit, distilled: true },
  labelled,
  unlabelled,
  groupOf: (post: Post) => post.author!,
  folds: 5,
  foldSeed: 3,
  bands: BANDS,
});

describe('cross-fitting the shipped recipe', () => {
  it('scores every development post with models that never saw it: random labels stay at chance out of fold', () => {
    const random = seededRandom(5);
    const labels = Array.from({ length: 160 }, () => random() < 0.5);
    const labelled = posts(160, (i) => labels[i]!, () => '');
    const fitted = crossFit(plan(labelled), settings);
    // The refitted model memorises its own posts' unique words (its raw margins: out-of-fold Platt scaling of noise
    // may even flip their sign); the out-of-fold scores must not.
    const inSample = binaryMetrics(
      labelled.map((p) => Number(marginOf(fitted.default, { text: p.text }) > 0)),
      labels,
      0.5,
    );
    assert.ok(inSample.accuracy > 0.9, `in-sample ${inSample.accuracy}`);
    const outOfFold = binaryMetrics(
      fitted.outOfFold.default.map((s) => s.sociopolitical),
      labels,
      0.5,
    );
    assert.ok(outOfFold.accuracy < 0.65, `out of fold ${outOfFold.accuracy}`);
  });

  it('calibrates, thresholds and bands both modes out of fold, and distils over the unlabelled posts', () => {
    const signal = (positive: boolean) => (positive ? 'senate vote' : 'kitten nap');
    const labelled = posts(120, (i) => i % 3 === 0, signal);
    const unlabelled: Post[] = Array.from({ length: 60 }, (_, i) => ({ id: `u${i}`, author: `did:plc:${i % 120}`, source: 'pool', text: `${signal(i % 2 === 0)} ww${i}` }));
    const fitted = crossFit(plan(labelled, unlabelled), settings);
    const { report } = fitted;
    assert.equal(report.folds, 5);
    assert.ok(report.default.recall >= 0.85 && report.default.accuracy > 0.9, JSON.stringify(report.default));
    assert.equal(fitted.default.threshold, report.threshold);
    assert.equal(fitted.quality.threshold, report.threshold, 'one threshold for both modes');
    assert.deepEqual(fitted.quality.band, report.band);
    assert.ok(BANDS.includes(report.band));
    assert.equal(report.bands.length, BANDS.length);
    assert.equal(report.bands.find((b) => b.band.low === 0)!.share, 1, 'the 0–1 band consults the encoder for every post');
    assert.notDeepEqual(fitted.default.sociopolitical.platt, { a: 1, b: 0 }, 'Platt-scaled');
    assert.deepEqual(fitted.default.features, studentFeatures);
    assert.deepEqual(fitted.quality.features, teacherFeatures);
    assert.ok(classify(fitted.default, { text: 'the senate vote is today' }).sociopolitical > classify(fitted.default, { text: 'my kitten nap today' }).sociopolitical);
  });
});
