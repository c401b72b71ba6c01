import { z } from 'zod';
import { LISTITEM_COLLECTION } from '../consolidate/graph.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { recordRefSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([
  recordRefSchema('list').meta({ title: 'list', description: 'https://bsky.app/profile/<handle or DID>/lists/<id>, or at://<did>/app.bsky.graph.list/<id>.' }),
  MembershipComparatorSchema,
]);

/** `list_member [bsky.app list URL | at-uri, in|not_in]`: the author is (not) on the list. */
export const list_member: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'list_member',
  description:
    "The post's author is (not) on the Bluesky list. The set is fetched from APPVIEW_URL and cached in SQLite (see the README); until it has loaded, the manifest is undecided on posts that reach this condition.",
  examples: [{ args: ['https://bsky.app/profile/alice.bsky.social/lists/3kabc', 'in'], means: 'posts by members of the list' }],
  args: Args,
  profiles: true,
  cost: MEMBERSHIP_COST,
  collections: [LISTITEM_COLLECTION],
  compile: ([ref, comparator], env) => membershipLeaf(env, { type: 'list', ...ref }, comparator),
};
