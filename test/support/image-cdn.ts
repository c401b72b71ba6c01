import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

/** How the loopback CDN answers for one blob. */
export type Behaviour = { image: Buffer; type: string } | 'missing' | 'hang' | 'oversized';

/**
 * A loopback stand-in for the Bluesky image CDN, speaking its URL form
 * (`/img/feed_thumbnail/plain/<did>/<cid>@jpeg`): serves real image files, answers 404, never answers,
 * or announces a body larger than any limit. Counts the requests per CID.
 */
export class ImageCdn {
  readonly hits = new Map<string, number>();
  readonly blobs = new Map<string, Behaviour>();
  private readonly server = http.createServer((request, response) => this.answer(request, response));
  private readonly hanging = new Set<http.ServerResponse>();

  static async start(): Promise<ImageCdn> {
    const cdn = new ImageCdn();
    cdn.server.listen(0, '127.0.0.1');
    await once(cdn.server, 'listening');
    return cdn;
  }

  /** The IMAGE_CDN_URL template pointing here. */
  get urlTemplate(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/img/feed_thumbnail/plain/{did}/{cid}@jpeg`;
  }

  get totalHits(): number {
    return [...this.hits.values()].reduce((a, b) => a + b, 0);
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const match = /^\/img\/feed_thumbnail\/plain\/([^/]+)\/([^/@]+)@jpeg$/.exec(request.url ?? '');
    const cid = match ? decodeURIComponent(match[2]!) : '';
    this.hits.set(cid, (this.hits.get(cid) ?? 0) + 1);
    const blob = this.blobs.get(cid) ?? 'missing';
    if (blob === 'missing') return void response.writeHead(404, { 'content-type': 'text/plain' }).end('blob not found');
    if (blob === 'hang') return void this.hanging.add(response);
    if (blob === 'oversized') {
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(50_000_000) });
      return void response.write(Buffer.alloc(1024));
    }
    response.writeHead(200, { 'content-type': blob.type, 'content-length': String(blob.image.length) }).end(blob.image);
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/**
 * A real image file made from a formula (no image in the repository): smooth colour gradients with
 * rings whose centre and spacing follow `seed`, so different seeds look different and one seed always
 * gives the same pixels.
 */
export async function generatedImage(seed: number, format: 'png' | 'jpeg' = 'jpeg', width = 320, height = 240): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  const [cx, cy] = [((seed * 73) % 100) / 100, ((seed * 37) % 100) / 100];
  const spacing = 6 + (seed % 7) * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ring = Math.sin(Math.hypot(x - cx * width, y - cy * height) / spacing) > 0 ? 1 : 0;
      const i = 3 * (y * width + x);
      pixels[i] = Math.round((255 * x) / width) ^ (ring * 120);
      pixels[i + 1] = Math.round((255 * y) / height);
      pixels[i + 2] = (seed * 40 + ring * 100) % 256;
    }
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 90 }).toBuffer();
}
