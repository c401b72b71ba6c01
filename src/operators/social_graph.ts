import { z } from 'zod';
import { FOLLOW_COLLECTION } from '../consolidate/graph.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { ActorSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([ActorSchema, MembershipComparatorSchema, z.enum(['follows', 'followers'])]);

/** `social_graph [actor, in|not_in, follows|followers]`: the author is (not) among whom `actor` follows, or among its followers. */
export const social_graph: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'social_graph',
  aliases: ['user_network'],
  args: Args,
  cost: MEMBERSHIP_COST,
  collections: [FOLLOW_COLLECTION],
  compile: ([actor, comparator, direction], env) => membershipLeaf(env, { type: direction, actor }, comparator),
};
