import { provide, serviceKey, type ServiceContext, type ServicePart } from '../core/services.ts';
import { openDatabase } from '../store/database.ts';
import { ImageAnalyzer } from './analyzer.ts';
import { ImageCache } from './cache.ts';
import { ImageFetcher } from './fetch.ts';
import { ImageMetrics } from './metrics.ts';
import { NsfwModel } from './nsfw-model.ts';

/** The compile-time service the image operators look up: its presence says the image providers run here. */
export const IMAGE_ANALYZER = serviceKey<ImageAnalyzer>('image-analyzer');

/**
 * The images capability: the `image-nsfw` and `image-phash` feature providers behind `image_nsfw` and
 * `image_hash_match`. Cheap to open: nothing is downloaded and the NSFW model is not loaded until a
 * manifest asks about an image. Without the service's database (offline commands) results are cached
 * in memory for the run.
 */
export function openImages({ config, db, logger, registry }: ServiceContext): ServicePart {
  const metrics = new ImageMetrics(registry);
  const cacheDb = db ?? openDatabase(':memory:').db;
  const model = new NsfwModel({ batchSize: config.IMAGE_BATCH_SIZE, logger, metrics });
  const analyzer = new ImageAnalyzer({
    fetcher: new ImageFetcher({
      urlTemplate: config.IMAGE_CDN_URL,
      maxBytes: config.IMAGE_MAX_BYTES,
      timeoutMs: config.IMAGE_TIMEOUT_SECONDS * 1000,
      concurrency: config.IMAGE_FETCH_CONCURRENCY,
      metrics,
    }),
    model,
    cache: new ImageCache(cacheDb, config.IMAGE_CACHE_DAYS),
    metrics,
    logger,
  });
  return {
    compile: [provide(IMAGE_ANALYZER, analyzer)],
    providers: [...analyzer.providers],
    async close() {
      await model.close();
      if (!db) cacheDb.close();
    },
  };
}
