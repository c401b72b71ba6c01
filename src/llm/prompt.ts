import { parse as parseTolerant, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { LEANS } from '../political/model.ts';

/** Bumped whenever the prompt or the answer schema changes, so that cached answers of an older prompt are not reused. */
export const PROMPT_VERSION = 'sociopolitical-v1';

/** The research pipeline's two answers for one post: the question the local `political` classifier answers too. */
export const ClassificationSchema = z.object({
  is_sociopolitical: z.boolean(),
  political_ideology: z.enum(LEANS),
});
export type Classification = z.infer<typeof ClassificationSchema>;

const AnswerItemSchema = ClassificationSchema.extend({ id: z.string() });
const AnswerSchema = z.object({ results: z.array(AnswerItemSchema) });

/** `response_format` of the request: structured output against the answer schema, so every post comes back by its id. */
export const RESPONSE_FORMAT = {
  type: 'json_schema',
  json_schema: {
    name: 'post_classifications',
    strict: true,
    schema: (({ $schema: _, ...schema }) => schema)(z.toJSONSchema(AnswerSchema)),
  },
} as const;

const SYSTEM_PROMPT = `You classify Bluesky posts for a research project.

For each post, answer two questions:
1. is_sociopolitical: true if the post is about politics (government, elections, politicians, political parties, laws and policy, activism) or about social issues that affect many people (the economy, inequality, racism, education, immigration, human rights, the environment, public health); false otherwise (personal life, entertainment, sports, technology, art, jokes without a political point).
2. political_ideology: the post's lean in US politics: "left", "right", "moderate", or "unclear". Use "unclear" when the lean cannot be told from the post, and always when is_sociopolitical is false.

You get a JSON list of posts, each with an "id" and its "text". Answer with {"results": [...]}: one entry per post, with the post's "id" copied exactly. Judge each post on its own text only.`;

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface PromptPost {
  id: string;
  text: string;
}

export function buildMessages(posts: readonly PromptPost[]): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: JSON.stringify(posts.map(({ id, text }) => ({ id, text }))) },
  ];
}

export class MalformedAnswerError extends Error {
  override name = 'MalformedAnswerError';
}

/**
 * Reads the model's answer into classifications by post id. Entries that do not fit the schema are
 * dropped (their posts are asked again). A truncated answer (e.g. cut at the token limit) is read
 * with a tolerant parser and keeps its complete entries; its last entry is dropped because a
 * truncated string may look complete (an id "12" cut to "1"). Throws when nothing usable came back.
 */
export function parseAnswer(content: string): Map<string, Classification> {
  const errors: ParseError[] = [];
  const json: unknown = parseTolerant(content, errors, { disallowComments: true, allowTrailingComma: false });
  const results = (json as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) throw new MalformedAnswerError(`the answer is not {"results": [...]}: ${content.slice(0, 120)}`);
  const complete = errors.length ? results.slice(0, -1) : results;
  const answers = new Map<string, Classification>();
  for (const item of complete) {
    const parsed = AnswerItemSchema.safeParse(item);
    if (parsed.success) answers.set(parsed.data.id, { is_sociopolitical: parsed.data.is_sociopolitical, political_ideology: parsed.data.political_ideology });
  }
  if (!answers.size && results.length) throw new MalformedAnswerError(`no entry of the answer fits the schema: ${content.slice(0, 120)}`);
  return answers;
}
