import { z } from 'zod';
import { LISTITEM_COLLECTION } from '../consolidate/graph.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { recordRefSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([recordRefSchema('starterpack'), MembershipComparatorSchema]);

/** `starter_pack_member [bsky.app starter-pack URL | at-uri, in|not_in]`: the author is (not) in the starter pack's list. */
export const starter_pack_member: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'starter_pack_member',
  args: Args,
  cost: MEMBERSHIP_COST,
  collections: [LISTITEM_COLLECTION],
  compile: ([ref, comparator], env) => membershipLeaf(env, { type: 'starterpack', ...ref }, comparator),
};
