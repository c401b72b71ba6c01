import { featureKind, type FeatureKind, type FeatureProvider, type FeatureRequest } from '../core/features.ts';
import type { Logger } from '../log.ts';
import type { ImageCache } from './cache.ts';
import { squareRgb } from './decode.ts';
import type { ImageFetcher } from './fetch.ts';
import type { ImageMetrics } from './metrics.ts';
import { NsfwScoresSchema, type NsfwScores } from './nsfw-classes.ts';
import { NSFW_MODEL_VERSION, type NsfwModel } from './nsfw-model.ts';
import { MODEL_INPUT_SIZE } from './nsfw-protocol.ts';
import { HASH_SAMPLE, phash, PHASH_VERSION } from './phash.ts';
import type { ImageRef } from './refs.ts';

/** Why an image has no result (download, decoding or the model failed): its leaf stays undecided. */
export interface ImageFailure {
  error: string;
}

export type NsfwFeature = NsfwScores | ImageFailure;
export type HashFeature = { hash: string } | ImageFailure;

/** An image's NSFW class probabilities. */
export const IMAGE_NSFW = featureKind<ImageRef, NsfwFeature>('image-nsfw');
/** An image's perceptual hash. */
export const IMAGE_PHASH = featureKind<ImageRef, HashFeature>('image-phash');

/** The request for one image's feature, keyed by blob CID: every post and manifest showing that image shares one computation. */
export function imageRequest<Out>(kind: FeatureKind<ImageRef, Out>, ref: ImageRef): FeatureRequest<ImageRef, Out> {
  return { kind, key: ref.cid, input: ref };
}

export const isFailure = <T extends object>(value: T | ImageFailure): value is ImageFailure => 'error' in value;

interface Analysis<T extends object> {
  kind: 'nsfw' | 'phash';
  version: string;
  /** Results for the downloaded images, in order; a thrown error fails them all. */
  compute(images: readonly { ref: ImageRef; bytes: Buffer }[]): Promise<(T | ImageFailure)[]>;
  encode(value: T): string;
  decode(text: string): T;
}

export interface ImageAnalyzerOptions {
  fetcher: ImageFetcher;
  model: NsfwModel;
  cache: ImageCache;
  metrics: ImageMetrics;
  logger: Logger;
}

/**
 * The feature providers of the image operators: for each distinct image of an evaluation round, the
 * cached result, or a download from the CDN, decoding, and the NSFW model (in batches) or the
 * perceptual hash. A failure is that image's result, never an exception.
 */
export class ImageAnalyzer {
  readonly providers: readonly FeatureProvider[];

  constructor(private readonly options: ImageAnalyzerOptions) {
    this.providers = [
      { kind: IMAGE_NSFW, compute: (refs) => this.nsfw(refs), remote: true },
      { kind: IMAGE_PHASH, compute: (refs) => this.hash(refs), remote: true },
    ] satisfies [FeatureProvider<ImageRef, NsfwFeature>, FeatureProvider<ImageRef, HashFeature>];
  }

  nsfw(refs: readonly ImageRef[]): Promise<NsfwFeature[]> {
    return this.analyse(refs, {
      kind: 'nsfw',
      version: NSFW_MODEL_VERSION,
      compute: async (images) => {
        const pixels = await Promise.all(images.map(({ bytes }) => squareRgb(bytes, MODEL_INPUT_SIZE).catch((error: Error) => ({ error: error.message }))));
        const decoded = pixels.filter((p): p is Uint8Array => p instanceof Uint8Array);
        const scores = await this.options.model.classify(decoded);
        let next = 0;
        return pixels.map((p) => (p instanceof Uint8Array ? scores[next++]! : p));
      },
      encode: (scores) => JSON.stringify(scores),
      decode: (text) => NsfwScoresSchema.parse(JSON.parse(text)),
    });
  }

  hash(refs: readonly ImageRef[]): Promise<HashFeature[]> {
    return this.analyse(refs, {
      kind: 'phash',
      version: PHASH_VERSION,
      compute: (images) =>
        Promise.all(
          images.map(({ bytes }) =>
            squareRgb(bytes, HASH_SAMPLE).then(
              (rgb) => ({ hash: phash(rgb) }),
              (error: Error) => ({ error: error.message }),
            ),
          ),
        ),
      encode: ({ hash }) => hash,
      decode: (hash) => ({ hash }),
    });
  }

  private async analyse<T extends object>(refs: readonly ImageRef[], analysis: Analysis<T>): Promise<(T | ImageFailure)[]> {
    const { fetcher, cache, metrics, logger } = this.options;
    const { kind, version } = analysis;
    const results = new Map<string, T | ImageFailure>();
    const missing = new Map<string, ImageRef>();
    for (const ref of refs) {
      if (results.has(ref.cid) || missing.has(ref.cid)) continue;
      const cached = cache.get(kind, version, ref.cid);
      metrics.cache.inc({ kind, result: cached === undefined ? 'miss' : 'hit' });
      if (cached === undefined) missing.set(ref.cid, ref);
      else results.set(ref.cid, analysis.decode(cached));
    }
    const downloads = await Promise.all(
      [...missing.values()].map((ref) =>
        fetcher.fetch(ref).then(
          (bytes) => ({ ref, bytes }),
          (error: Error) => ({ ref, error: error.message }),
        ),
      ),
    );
    const images = downloads.flatMap((d) => ('bytes' in d ? [d] : []));
    for (const d of downloads) if ('error' in d) results.set(d.ref.cid, { error: d.error });
    let computed: (T | ImageFailure)[];
    try {
      computed = images.length ? await analysis.compute(images) : [];
    } catch (error) {
      computed = images.map(() => ({ error: (error as Error).message }));
    }
    const fresh: [string, string][] = [];
    images.forEach(({ ref }, i) => {
      const value = computed[i]!;
      results.set(ref.cid, value);
      if (!isFailure(value)) fresh.push([ref.cid, analysis.encode(value)]);
    });
    cache.put(kind, version, fresh);
    metrics.analysed.inc({ kind }, fresh.length);
    const failed = [...results.values()].filter(isFailure).length;
    if (failed) logger.warn({ kind, images: missing.size, failed }, 'images left unanalysed: their leaves stay undecided');
    return refs.map((ref) => results.get(ref.cid)!);
  }
}
