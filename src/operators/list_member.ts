import { z } from 'zod';
import { LISTITEM_COLLECTION } from '../consolidate/graph.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { recordRefSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([recordRefSchema('list'), MembershipComparatorSchema]);

/** `list_member [bsky.app list URL | at-uri, in|not_in]`: the author is (not) on the list. */
export const list_member: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'list_member',
  args: Args,
  cost: MEMBERSHIP_COST,
  collections: [LISTITEM_COLLECTION],
  compile: ([ref, comparator], env) => membershipLeaf(env, { type: 'list', ...ref }, comparator),
};
