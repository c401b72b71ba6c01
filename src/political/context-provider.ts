import { featureKind, type FeatureProvider, type FeatureRequest } from '../core/features.ts';
import type { PostStore } from '../store/posts.ts';
import { ownText } from './context.ts';

/** The text (with attachments) of the post at an at-uri, or null when the post store does not have it. */
export const ANSWERED_POST = featureKind<string, string | null>('answered-post');

/** The request for the text of the post at `uri` (a reply's parent or a quoted post). */
export function answeredPostRequest(uri: string): FeatureRequest<string, string | null> {
  return { kind: ANSWERED_POST, key: uri, input: uri };
}

/**
 * Looks up answered posts in the local post store (the service stores every post it sees, for POST_RETENTION_DAYS):
 * their own text with attachments, or null when the store does not have them. Never the network: a reply whose parent
 * was not seen is classified on its own.
 */
export function answeredPostProvider(store: Pick<PostStore, 'get'>): FeatureProvider<string, string | null> {
  return {
    kind: ANSWERED_POST,
    async compute(uris) {
      return uris.map((uri) => {
        const post = store.get(uri);
        return post ? ownText(post.record) : null;
      });
    },
  };
}
