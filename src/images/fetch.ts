import { createLimit } from '../concurrency.ts';
import type { ImageMetrics } from './metrics.ts';
import type { ImageRef } from './refs.ts';

export type FetchOutcome = 'http_error' | 'timeout' | 'too_large' | 'network';

/** A download that did not bring an image; `outcome` names the metric it counts under. */
export class ImageFetchError extends Error {
  override name = 'ImageFetchError';

  constructor(
    readonly outcome: FetchOutcome,
    message: string,
  ) {
    super(message);
  }
}

export interface ImageFetcherOptions {
  /** The CDN URL with `{did}` and `{cid}` placeholders. */
  urlTemplate: string;
  maxBytes: number;
  timeoutMs: number;
  concurrency: number;
  metrics: ImageMetrics;
}

/** Recent downloads kept for the next evaluation round (`or` asks for a hash, then for NSFW scores). */
const RECENT_BYTES = 32 * 1024 * 1024;

/**
 * Downloads post images from the CDN: at most `concurrency` at a time, each within `timeoutMs` (body
 * included) and `maxBytes` (checked against `content-length` and again while reading). Concurrent
 * requests for one blob share a single download, and the most recent downloads (32 MB) are kept, so
 * the image operators of one batch download an image once.
 */
export class ImageFetcher {
  readonly #limit;
  readonly #inFlight = new Map<string, Promise<Buffer>>();
  readonly #recent = new Map<string, Buffer>();
  #recentBytes = 0;

  constructor(private readonly options: ImageFetcherOptions) {
    this.#limit = createLimit(options.concurrency);
  }

  /** `imageRefs` only yields DIDs and CIDs of URL-safe characters, so they go in as the CDN writes them (`did:plc:…`). */
  url({ did, cid }: ImageRef): string {
    return this.options.urlTemplate.replaceAll('{did}', did).replaceAll('{cid}', cid);
  }

  fetch(ref: ImageRef): Promise<Buffer> {
    const recent = this.#recent.get(ref.cid);
    if (recent) return Promise.resolve(recent);
    const shared = this.#inFlight.get(ref.cid);
    if (shared) return shared;
    const download = this.#limit(() => this.download(ref))
      .then((bytes) => this.remember(ref.cid, bytes))
      .finally(() => this.#inFlight.delete(ref.cid));
    this.#inFlight.set(ref.cid, download);
    return download;
  }

  private remember(cid: string, bytes: Buffer): Buffer {
    this.#recent.set(cid, bytes);
    this.#recentBytes += bytes.length;
    for (const [oldest, old] of this.#recent) {
      if (this.#recentBytes <= RECENT_BYTES) break;
      this.#recent.delete(oldest);
      this.#recentBytes -= old.length;
    }
    return bytes;
  }

  private async download(ref: ImageRef): Promise<Buffer> {
    const { maxBytes, timeoutMs, metrics } = this.options;
    const url = this.url(ref);
    const stop = metrics.fetchSeconds.startTimer();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'image/*' } });
      if (!response.ok) {
        await response.body?.cancel();
        throw new ImageFetchError('http_error', `${url} answered HTTP ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) {
        await response.body?.cancel();
        throw new ImageFetchError('too_large', `${url} is ${declared} bytes, above IMAGE_MAX_BYTES (${maxBytes})`);
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body ?? []) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new ImageFetchError('too_large', `${url} is over IMAGE_MAX_BYTES (${maxBytes})`);
        chunks.push(chunk);
      }
      metrics.fetches.inc({ outcome: 'ok' });
      stop();
      return Buffer.concat(chunks);
    } catch (error) {
      const failure = asFetchError(error, url, timeoutMs);
      metrics.fetches.inc({ outcome: failure.outcome });
      throw failure;
    }
  }
}

function asFetchError(error: unknown, url: string, timeoutMs: number): ImageFetchError {
  if (error instanceof ImageFetchError) return error;
  if (error instanceof Error && error.name === 'TimeoutError') return new ImageFetchError('timeout', `${url} did not arrive within ${timeoutMs} ms`);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new ImageFetchError('network', `${url} could not be fetched (${error instanceof Error ? error.message : String(error)}${cause})`);
}
