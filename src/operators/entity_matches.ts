import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { ENTITY_KINDS, entitiesOf, normalizeEntity } from './entities.ts';

export const EntityArgsSchema = z.tuple([z.enum(ENTITY_KINDS), z.array(z.string().min(1)).min(1)]);
type EntityArgs = z.infer<typeof EntityArgsSchema>;

/** Builds `entity_matches` and its negation `entity_excludes` from one definition. */
export function entityOperator(name: string, negate: boolean): OperatorDefinition<EntityArgs> {
  return {
    name,
    args: EntityArgsSchema,
    cost: 2,
    compile([kind, values]) {
      const wanted = new Set(values.map((v) => normalizeEntity(kind, v)));
      return (post) => {
        const found = entitiesOf(post, kind);
        return { matched: found.some((e) => wanted.has(e)) !== negate, inputs: found };
      };
    },
  };
}

/** `entity_matches [hashtags|langs|urls|domains|mentions|labels, [values]]`: the post has any of them. */
export const entity_matches = entityOperator('entity_matches', false);
