/**
 * Operators of Graze's language that skysift does not run, with what to use instead, so a ported
 * manifest gets a pointer rather than "unknown operator". The registry is asked first: when an operator
 * of one of these names lands in `index.ts`, it is simply that operator, and its entry here should go.
 */
export interface GrazeOnly {
  instead: string;
}

const INSTEAD_OF_TEXT_CLASSIFIERS = 'text_similarity with an anchor text, model_probability with a model you train on your own labels (skysift train), or llm_classification';

export const grazeOnly: ReadonlyMap<string, GrazeOnly> = new Map<string, GrazeOnly>([
  ['content_moderation', { instead: 'toxicity_analysis or llm_classification' }],
  ['sentiment_analysis', { instead: INSTEAD_OF_TEXT_CLASSIFIERS }],
  ['emotion_sentiment_analysis', { instead: INSTEAD_OF_TEXT_CLASSIFIERS }],
  ['financial_sentiment_analysis', { instead: INSTEAD_OF_TEXT_CLASSIFIERS }],
  ['topic_analysis', { instead: `political for politics and social issues; otherwise ${INSTEAD_OF_TEXT_CLASSIFIERS}` }],
  ['text_arbitrary', { instead: 'text_similarity (an anchor text per label) or llm_classification' }],
  ['language_analysis', { instead: 'entity_matches ["langs", [...]] (the languages the author declared)' }],
  ['image_arbitrary', { instead: 'image_nsfw for adult images; nothing yet for other image classes' }],
  ['no_nsfw', { instead: 'what it combines, in an and: entity_excludes ["labels", ["porn", "sexual", "graphic-media", "nudity"]], toxicity_analysis ["Toxic", "<=", t] and image_nsfw ["NSFW", "<=", t]' }],
  ['magic_audience', { instead: 'Graze-hosted audiences are not public: use list_member with a Bluesky list, or social_list' }],
]);

/** The load error for a Graze operator skysift does not run. */
export function grazeOnlyMessage(name: string, entry: GrazeOnly): string {
  return `"${name}" is a Graze operator that skysift does not offer: use ${entry.instead}`;
}
