import { Counter, Histogram, Registry } from 'prom-client';

/** The images capability's Prometheus metrics, registered in the service's registry (a private one offline). */
export class ImageMetrics {
  readonly fetches: Counter<'outcome'>;
  readonly fetchSeconds: Histogram;
  readonly cache: Counter<'kind' | 'result'>;
  readonly analysed: Counter<'kind'>;
  readonly classifySeconds: Histogram;

  constructor(registry: Registry = new Registry()) {
    const registers = [registry];
    this.fetches = new Counter({
      name: 'skysift_image_fetches_total',
      help: 'Image downloads from the CDN, by outcome: ok, http_error, timeout, too_large, network, undecodable.',
      labelNames: ['outcome'],
      registers,
    });
    this.fetchSeconds = new Histogram({
      name: 'skysift_image_fetch_seconds',
      help: 'Time to download one image (successful downloads).',
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.cache = new Counter({
      name: 'skysift_image_cache_lookups_total',
      help: 'Image score and hash lookups in the cache (keyed by blob CID), by kind (nsfw, phash) and result (hit, miss).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.analysed = new Counter({ name: 'skysift_images_analysed_total', help: 'Images scored by the NSFW classifier or hashed, by kind (nsfw, phash).', labelNames: ['kind'], registers });
    this.classifySeconds = new Histogram({
      name: 'skysift_image_classify_seconds',
      help: 'Time the NSFW classifier takes for one batch of images.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }
}
