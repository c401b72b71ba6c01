import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { ActorSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([z.array(ActorSchema).min(1).meta({ title: 'accounts', description: 'DIDs or handles (handles are resolved to DIDs).' }), MembershipComparatorSchema]);

/** `social_list [[dids or handles], in|not_in]`: the author is (not) one of these accounts; handles are resolved by the membership service. */
export const social_list: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'social_list',
  description: "The post's author is (not) one of these accounts. A list of DIDs needs no network; handles are resolved through APPVIEW_URL like the other social sets.",
  examples: [{ args: [['did:plc:z72i7hdynmk6r22z27h6tvur', 'alice.bsky.social'], 'in'], means: 'posts by either account' }],
  args: Args,
  profiles: true,
  cost: MEMBERSHIP_COST,
  compile: ([actors, comparator], env) => membershipLeaf(env, { type: 'accounts', actors }, comparator),
};
