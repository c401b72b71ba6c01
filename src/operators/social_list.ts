import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { ActorSchema } from '../social/sets.ts';
import { MEMBERSHIP_COST, MembershipComparatorSchema, membershipLeaf } from './membership.ts';

const Args = z.tuple([z.array(ActorSchema).min(1), MembershipComparatorSchema]);

/** `social_list [[dids or handles], in|not_in]`: the author is (not) one of these accounts; handles are resolved by the membership service. */
export const social_list: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'social_list',
  args: Args,
  cost: MEMBERSHIP_COST,
  compile: ([actors, comparator], env) => membershipLeaf(env, { type: 'accounts', actors }, comparator),
};
