import { z } from 'zod';
import { leaf, type CompileEnvironment, type Leaf, type UndecidedOutcome } from '../core/operator.ts';
import { MEMBERSHIP_WATCHER } from '../social/registry.ts';
import type { SetSpec } from '../social/sets.ts';
import { ComparatorSchema } from './compare.ts';

/** The membership subset of the comparators (with the same `is_in`/`is_not_in` aliases). */
export const MembershipComparatorSchema = ComparatorSchema.extract(['in', 'not_in', 'is_in', 'is_not_in'], {
  error: (issue) => `unknown comparator ${JSON.stringify(issue.input)}: use in or not_in (or is_in, is_not_in)`,
}).meta({ title: 'comparator', description: 'in (the author is a member) or not_in (the author is not); is_in and is_not_in are aliases.' });
export type MembershipComparator = z.infer<typeof MembershipComparatorSchema>;

/** Social operators cost little per post: one lookup in an in-memory set. */
export const MEMBERSHIP_COST = 1;

/** Registers a set with the membership service at compile time; evaluation reads its snapshot by the key returned. */
export function watchSet(env: CompileEnvironment, spec: SetSpec): string {
  const watcher = env.services.require(MEMBERSHIP_WATCHER, 'social operators need the membership service, which is not running');
  return watcher.watch(spec, { manifest: { file: env.manifestFile, version: env.manifestVersion ?? '' }, ...(env.author && { author: env.author }) });
}

/**
 * The leaf shared by the social operators: is the post's author in the set? Without a snapshot (the
 * set has not loaded) the leaf cannot decide.
 */
export function membershipLeaf(env: CompileEnvironment, spec: SetSpec, comparator: MembershipComparator): Leaf {
  const key = watchSet(env, spec);
  const wantIn = comparator === 'in' || comparator === 'is_in';
  const notLoaded: UndecidedOutcome = { undecided: `membership set ${key} is not loaded` };
  return leaf(
    (post, context) => {
      const members = context.membership(key);
      if (!members) return { ...notLoaded };
      const member = members.has(post.author.did);
      return { matched: member === wantIn, inputs: { set: key, member } };
    },
    {
      decide: (_, post, context) => {
        const members = context.membership(key);
        return members ? members.has(post.author.did) === wantIn : notLoaded;
      },
    },
  );
}
