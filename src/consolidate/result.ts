import type { z } from 'zod';
import type { ConsolidatedPost } from './post.ts';
import type { ConsolidatedProfile } from './profile.ts';

/**
 * What consolidating one input gives: a post, a post deletion, a profile, something valid that is not a post
 * (a like), an author's identity or account change, or malformed input with a reason. Never a throw, so a consumer can
 * count each case and keep going.
 */
export type Consolidated =
  | { kind: 'post'; post: ConsolidatedPost }
  | { kind: 'post-delete'; uri: string }
  /** A profile created, updated or (as an empty profile) deleted. */
  | { kind: 'profile'; profile: ConsolidatedProfile }
  | { kind: 'identity'; did: string; handle?: string; timeUs: number }
  | { kind: 'account'; did: string; active: boolean; status?: string; timeUs: number }
  | { kind: 'ignored' }
  | { kind: 'malformed'; code: 'invalid-event' | 'invalid-post' | 'invalid-profile'; reason: string };

/** One line naming each failing path (under `prefix`, for a part validated on its own), so a log says what was wrong without dumping the input. */
export function describeIssues(error: z.ZodError, prefix?: string): string {
  return error.issues.map((issue) => `${[prefix, ...issue.path].filter((part) => part !== undefined).join('.') || '(root)'}: ${issue.message}`).join('; ');
}
