import { z } from 'zod';
import { LISTITEM_COLLECTION } from '../consolidate/graph.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { recordRefSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([
  recordRefSchema('starterpack').meta({ title: 'starter pack', description: 'https://bsky.app/starter-pack/<handle or DID>/<id>, or at://<did>/app.bsky.graph.starterpack/<id>.' }),
  MembershipComparatorSchema,
]);

/** `starter_pack_member [bsky.app starter-pack URL | at-uri, in|not_in]`: the author is (not) in the starter pack's list. */
export const starter_pack_member: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'starter_pack_member',
  description:
    "The post's author is (not) in the starter pack (the members of its list). The set is fetched from APPVIEW_URL and cached in SQLite (see the README); until it has loaded, the manifest is undecided on posts that reach this condition.",
  examples: [{ args: ['https://bsky.app/starter-pack/alice.bsky.social/3kpack', 'not_in'], means: 'posts by accounts outside the starter pack' }],
  args: Args,
  profiles: true,
  cost: MEMBERSHIP_COST,
  collections: [LISTITEM_COLLECTION],
  compile: ([ref, comparator], env) => membershipLeaf(env, { type: 'starterpack', ...ref }, comparator),
};
