import { createHash } from 'node:crypto';
import { AtpAgent } from '@atproto/api';
import type { Credentials } from '../core/credentials.ts';
import { describedFetch } from '../network.ts';
import { AppView } from './appview.ts';

/** A failed login is not tried again for this long: PDSes limit logins per account (bsky.social: 30 per 5 minutes, 300 a day). */
const LOGIN_RETRY_MS = 10 * 60_000;

/**
 * One logged-in session per manifest author, shared by every set fetched as that author. The agent
 * refreshes an expired access token by itself; a session that can no longer be refreshed is dropped so
 * that the next fetch logs in again. A failed login answers every fetch with its error until it may be retried.
 */
export class AuthorSessions {
  private readonly sessions = new Map<string, Promise<AppView>>();

  constructor(private readonly concurrency: number) {}

  async appview(author: Credentials): Promise<AppView> {
    // A changed password (another manifest, a rotated secret) is another session, not the old one reused.
    const id = `${author.service} ${author.identifier} ${createHash('sha256').update(author.password).digest('hex')}`;
    let session = this.sessions.get(id);
    if (!session) {
      session = this.login(id, author);
      this.sessions.set(id, session);
    }
    const appview = await session;
    if (appview.agent.hasSession) return appview;
    if (this.sessions.get(id) === session) this.sessions.delete(id);
    return this.appview(author);
  }

  private async login(id: string, author: Credentials): Promise<AppView> {
    const agent = new AtpAgent({
      service: author.service,
      fetch: describedFetch,
      persistSession: (event) => {
        if (event === 'expired') this.sessions.delete(id);
      },
    });
    try {
      await agent.login({ identifier: author.identifier, password: author.password });
    } catch (error) {
      setTimeout(() => this.sessions.delete(id), LOGIN_RETRY_MS).unref();
      // The PDS's message ("Invalid identifier or password") never contains the password.
      throw new Error(`login as ${author.identifier} at ${author.service} failed: ${(error as Error).message}`);
    }
    return new AppView({ agent, concurrency: this.concurrency });
  }
}
