import { entityOperator } from './entity_matches.ts';

/** `entity_excludes [kind, [values]]`: the post has none of them. */
export const entity_excludes = entityOperator('entity_excludes', true, 'The post has none of the values among its entities of `kind`.', [
  { args: ['labels', ['porn', 'sexual', 'graphic-media', 'nudity']], means: 'the author put no adult self-label on the post' },
  { args: ['langs', ['en']], means: 'the author did not declare English' },
]);
