import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixture } from './fixtures.ts';

export type FeedBehaviour = { pages: string[] } | { status: number } | 'hang';

/**
 * A loopback AppView answering `app.bsky.feed.getFeed` as the real one does (XRPC: GET
 * /xrpc/app.bsky.feed.getFeed?feed&limit&cursor → {feed, cursor}, errors as {error, message}).
 * Each feed's pages are recorded `test/fixtures/feeds/*.json` files; a feed can fail or hang.
 */
export class AppViewServer {
  readonly requests: { feed: string; limit: number; cursor?: string }[] = [];
  private readonly server: http.Server;

  private constructor(private readonly feeds: Map<string, FeedBehaviour>) {
    this.server = http.createServer((req, res) => this.answer(req, res));
  }

  static async start(feeds: Map<string, FeedBehaviour>): Promise<AppViewServer> {
    const server = new AppViewServer(feeds);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname !== '/xrpc/app.bsky.feed.getFeed') return json(501, { error: 'MethodNotImplemented', message: url.pathname });
    const feed = url.searchParams.get('feed') ?? '';
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const cursor = url.searchParams.get('cursor') ?? undefined;
    this.requests.push({ feed, limit, ...(cursor && { cursor }) });
    const behaviour = this.feeds.get(feed);
    if (!behaviour) return json(400, { error: 'UnknownFeed', message: `unknown feed ${feed}` });
    if (behaviour === 'hang') return;
    if ('status' in behaviour) return json(behaviour.status, { error: 'InternalServerError', message: 'feed generator failed' });
    const page = Number(cursor ?? 0);
    const items = (JSON.parse(fs.readFileSync(fixture(`feeds/${behaviour.pages[page]}`), 'utf8')) as { feed: unknown[] }).feed.slice(0, limit);
    json(200, { feed: items, ...(page + 1 < behaviour.pages.length && { cursor: String(page + 1) }) });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
