import type { FeatureProvider, FeatureRequest } from '../operators/operator.ts';
import type { PostStore } from '../store/posts.ts';
import { ownText } from './context.ts';

export const ANSWERED_POST_PROVIDER = 'answered-post';

/** The request for the text of the post at `uri` (a reply's parent or a quoted post). */
export function answeredPostRequest(uri: string): FeatureRequest {
  return { provider: ANSWERED_POST_PROVIDER, key: uri, input: uri };
}

/**
 * Looks up answered posts in the local post store (the service stores every post it sees, for POST_RETENTION_DAYS):
 * their own text with attachments, or null when the store does not have them. Never the network: a reply whose parent
 * was not seen is classified on its own.
 */
export function answeredPostProvider(store: Pick<PostStore, 'get'>): FeatureProvider {
  return {
    name: ANSWERED_POST_PROVIDER,
    async compute(uris) {
      return (uris as string[]).map((uri) => {
        const post = store.get(uri);
        return post ? ownText(post.record) : null;
      });
    },
  };
}
