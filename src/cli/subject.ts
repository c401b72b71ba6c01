import type { Config } from '../config.ts';
import { AppView } from '../social/appview.ts';
import type { PostStore } from '../store/posts.ts';
import { UsageError } from './command.ts';

const BSKY_URL = /^https:\/\/(?:www\.)?bsky\.app\/profile\/([^/?#]+)(?:\/post\/([^/?#]+))?\/?(?:[?#].*)?$/;

/** How the CLI names a subject in messages and help. */
export const SUBJECT_FORMS = '<at-uri | did | https://bsky.app/profile/…[/post/…]>';

/**
 * The label subject a user named: an at:// URI or a DID as given, or a bsky.app URL (a post's URL is
 * the post, a profile's the account). A handle in the URL is resolved from the identity events the
 * service recorded, else by the AppView.
 */
export async function subjectUri(subject: string, posts: PostStore, config: Config): Promise<string> {
  if (subject.startsWith('at://') || subject.startsWith('did:')) return subject;
  const url = BSKY_URL.exec(subject);
  if (!url) throw new UsageError(`expected an at:// URI or a post URL such as https://bsky.app/profile/<handle>/post/<id>, a DID or a profile URL; got ${JSON.stringify(subject)}`);
  const actor = decodeURIComponent(url[1]!);
  let did = actor.startsWith('did:') ? actor : posts.didOfHandle(actor);
  if (!did) {
    try {
      did = await new AppView({ service: config.APPVIEW_URL, concurrency: 1, maxBackoffMs: 0 }).resolveDid(actor);
    } catch (error) {
      throw new Error(`cannot resolve the handle ${actor} (${(error as Error).message}): give the post's at:// URI, or the URL with the author's DID`);
    }
  }
  return url[2] ? `at://${did}/app.bsky.feed.post/${url[2]}` : did;
}
