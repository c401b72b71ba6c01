import { z } from 'zod';
import { leaf, type CompileEnvironment, type Decision, type EvaluationContext, type Leaf, type OperatorDefinition } from '../core/operator.ts';
import { ActorSchema, recordRefSchema, type SetSpec } from '../social/sets.ts';
import { ENTITY_KINDS, entityInputs, normalizeEntity, type EntityKind } from './entities.ts';
import { watchSet } from './membership.ts';

export const EntityArgsSchema = z.tuple([
  z
    .enum(ENTITY_KINDS, { error: (issue) => `unknown entity kind ${JSON.stringify(issue.input)}: use one of ${ENTITY_KINDS.join(', ')}` })
    .meta({ title: 'kind', description: "hashtags (facet tags and the record's tags), langs, urls, domains, mentions or labels (the post's self-labels)." }),
  z.array(z.string().min(1)).min(1).meta({
    title: 'values',
    description:
      'The entities to look for, case-insensitive. Hashtags with or without "#"; domains with or without scheme, "www." and trailing "/"; mentions as DIDs, handles, or bsky.app list or starter-pack URLs (their members, loaded like the social operators\' sets; until a set has loaded, a post mentioning no listed DID is undecided).',
  }),
  z.boolean().optional().meta({ title: 'insensitive', description: "Graze's optional flag, accepted for ported manifests; matching is always case-insensitive." }),
]);
type EntityArgs = z.infer<typeof EntityArgsSchema>;

const LIST = recordRefSchema('list');
const STARTER_PACK = recordRefSchema('starterpack');

/**
 * The mention values of a manifest: DIDs are compared as they are; handles, lists and starter packs
 * are membership sets (resolved and fetched by the membership service, as Graze resolves them).
 */
function mentionSets(values: readonly string[], env: CompileEnvironment): { dids: Set<string>; sets: string[] } {
  const dids = new Set<string>();
  const specs: SetSpec[] = [];
  const handles: string[] = [];
  for (const value of values) {
    const list = LIST.safeParse(value);
    const pack = STARTER_PACK.safeParse(value);
    const actor = ActorSchema.safeParse(value);
    if (list.success) specs.push({ type: 'list', ...list.data });
    else if (pack.success) specs.push({ type: 'starterpack', ...pack.data });
    else if (actor.success && actor.data.startsWith('did:')) dids.add(actor.data.toLowerCase());
    else if (actor.success) handles.push(actor.data);
    else throw new Error(`mention ${JSON.stringify(value)} is not a DID, a handle, nor a bsky.app list or starter-pack URL`);
  }
  if (handles.length) specs.push({ type: 'accounts', actors: handles });
  return { dids, sets: specs.map((spec) => watchSet(env, spec)) };
}

function mentionsLeaf(values: readonly string[], negate: boolean, env: CompileEnvironment): Leaf<string[]> {
  const { dids, sets } = mentionSets(values, env);
  const mentions = entityInputs.get('mentions')!;
  const decide = (found: readonly string[], context: EvaluationContext): Decision => {
    const member = (did: string) => dids.has(did) || sets.some((key) => context.membership(key)?.has(did));
    if (found.some(member)) return !negate;
    // A set that has not loaded might hold a mentioned account (a post mentioning nobody is decided anyway).
    const missing = found.length ? sets.find((key) => !context.membership(key)) : undefined;
    return missing ? { undecided: `membership set ${missing} is not loaded` } : negate;
  };
  return leaf(
    (post, context) => {
      const found = mentions.read(post);
      const decision = decide(found, context);
      return typeof decision === 'boolean' ? { matched: decision, inputs: { found } } : decision;
    },
    { input: mentions, decide: (found, _post, context) => decide(found, context) },
  );
}

/** Builds `entity_matches` and its negation `entity_excludes` from one definition. */
export function entityOperator(name: string, negate: boolean, description: string, examples: OperatorDefinition['examples']): OperatorDefinition<EntityArgs> {
  return {
    name,
    description,
    examples,
    graze:
      'Graze lower-cases only the manifest\'s values (and hashtags), so a post\'s "EN" language or upper-case URL never matches there; skysift compares both sides case-insensitively. Domains here also ignore a path written in the value. `urls` and `domains` include the link card of a quote with a link (Graze reads only a top-level link card).',
    args: EntityArgsSchema,
    cost: 2,
    // Mentions are looked up in membership sets, which depend on the manifest's author.
    pure: ([kind]) => kind !== 'mentions',
    compile([kind, values], env) {
      if (kind === 'mentions') return mentionsLeaf(values, negate, env);
      const wanted = new Set(values.map((v) => normalizeEntity(kind as EntityKind, v)));
      const entities = entityInputs.get(kind)!;
      return leaf(
        (post) => {
          const found = entities.read(post);
          return { matched: found.some((e) => wanted.has(e)) !== negate, inputs: { found } };
        },
        { input: entities, anyOf: { values: wanted, negate } },
      );
    },
  };
}

/** `entity_matches [hashtags|langs|urls|domains|mentions|labels, [values]]`: the post has any of them. */
export const entity_matches = entityOperator('entity_matches', false, 'The post has any of the values among its entities of `kind`.', [
  { args: ['hashtags', ['art', '#fanart']], means: 'tagged #art or #fanart' },
  { args: ['domains', ['nytimes.com', 'https://www.bbc.co.uk/']], means: 'links to nytimes.com or bbc.co.uk' },
  {
    args: ['mentions', ['did:plc:z72i7hdynmk6r22z27h6tvur', 'bsky.app', 'https://bsky.app/profile/alice.bsky.social/lists/3kabc']],
    means: 'mentions that DID, the bsky.app account, or a member of the list',
  },
]);
