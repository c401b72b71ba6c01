import { z } from 'zod';
import { FOLLOW_COLLECTION } from '../consolidate/graph.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { ActorSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([
  ActorSchema.meta({ title: 'actor', description: 'The account whose graph is read: a handle or a DID.' }),
  MembershipComparatorSchema,
  z.enum(['follows', 'followers']).meta({ title: 'direction', description: 'follows (the accounts actor follows) or followers (the accounts following actor).' }),
]);

/** `social_graph [actor, in|not_in, follows|followers]`: the author is (not) among whom `actor` follows, or among its followers. */
export const social_graph: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'social_graph',
  aliases: ['user_network'],
  description:
    "The post's author is (not) among the accounts `actor` follows, or among its followers. The set is fetched from APPVIEW_URL and cached in SQLite (see the README); until it has loaded, the manifest is undecided on posts that reach this condition.",
  examples: [{ args: ['alice.bsky.social', 'in', 'follows'], means: 'posts by accounts alice.bsky.social follows' }],
  args: Args,
  profiles: true,
  cost: MEMBERSHIP_COST,
  collections: [FOLLOW_COLLECTION],
  compile: ([actor, comparator, direction], env) => membershipLeaf(env, { type: direction, actor }, comparator),
};
