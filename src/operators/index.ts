import type { OperatorDefinition } from '../core/operator.ts';
import { attribute_compare } from './attribute_compare.ts';
import { embed_type } from './embed_type.ts';
import { entity_excludes } from './entity_excludes.ts';
import { entity_matches } from './entity_matches.ts';
import { image_hash_match } from './image_hash_match.ts';
import { image_nsfw } from './image_nsfw.ts';
import { list_member } from './list_member.ts';
import { llm_classification } from './llm_classification.ts';
import { model_probability } from './model_probability.ts';
import { param_compare } from './param_compare.ts';
import { political } from './political.ts';
import { post_type } from './post_type.ts';
import { regex_any } from './regex_any.ts';
import { regex_matches } from './regex_matches.ts';
import { regex_negation_matches } from './regex_negation_matches.ts';
import { regex_none } from './regex_none.ts';
import { social_graph } from './social_graph.ts';
import { social_list } from './social_list.ts';
import { starter_pack_member } from './starter_pack_member.ts';
import { text_similarity } from './text_similarity.ts';
import { toxicity_analysis } from './toxicity_analysis.ts';

/** Every leaf operator, one line each (`and`, `or`, `not` and `each` live in `logic.ts`; Graze operators skysift does not run in `graze-only.ts`). */
const definitions: OperatorDefinition<any>[] = [
  attribute_compare,
  regex_matches,
  regex_negation_matches,
  regex_any,
  regex_none,
  entity_matches,
  entity_excludes,
  embed_type,
  post_type,
  llm_classification,
  text_similarity,
  model_probability,
  political,
  toxicity_analysis,
  image_nsfw,
  image_hash_match,
  social_graph,
  social_list,
  list_member,
  starter_pack_member,
  param_compare,
];

export const operators: ReadonlyMap<string, OperatorDefinition<any>> = new Map(definitions.flatMap((d) => [d.name, ...(d.aliases ?? [])].map((name) => [name, d] as const)));
