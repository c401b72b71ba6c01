import { entityOperator } from './entity_matches.ts';

/** `entity_excludes [kind, [values]]`: the post has none of them. */
export const entity_excludes = entityOperator('entity_excludes', true);
