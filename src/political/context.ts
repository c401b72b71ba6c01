import type { PostRecord } from '../consolidate/post.ts';

/**
 * What the political classifier reads of a post: its text with the text of its own attachments (a link card's title
 * and description, images' alt text), and `context`, the text of the post it answers (reply parent or quoted post)
 * when the store has it. The research pipeline gave its LLM the same.
 */
export interface PoliticalInput {
  text: string;
  context?: string;
}

type Loose = Record<string, unknown>;

const asObject = (value: unknown): Loose | undefined => (value && typeof value === 'object' ? (value as Loose) : undefined);
const asString = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : undefined);

/** The embed's media part, seeing through `recordWithMedia`. */
function media(record: PostRecord): Loose | undefined {
  const embed = asObject(record.embed);
  return embed?.$type === 'app.bsky.embed.recordWithMedia' ? asObject(embed.media) : embed;
}

/** A link card's title and description and every image's alt text, one per line. */
export function attachmentText(record: PostRecord): string {
  const part = media(record);
  if (!part) return '';
  const external = asObject(part.external);
  const images = Array.isArray(part.images) ? part.images : [];
  const texts = [asString(external?.title), asString(external?.description), ...images.map((image) => asString(asObject(image)?.alt)), asString(part.alt)];
  return texts.filter((t): t is string => !!t).join('\n');
}

/** The post's text followed by its attachments' text. */
export function ownText(record: PostRecord): string {
  const attached = attachmentText(record);
  return attached ? `${record.text}\n${attached}` : record.text;
}

/** The at-uri of the post this one answers: the reply parent, else the quoted post. */
export function answeredUri(record: PostRecord): string | undefined {
  const parent = asString(record.reply?.parent.uri);
  if (parent) return parent;
  const embed = asObject(record.embed);
  const quoted = embed?.$type === 'app.bsky.embed.recordWithMedia' ? asObject(asObject(embed.record)?.record) : embed?.$type === 'app.bsky.embed.record' ? asObject(embed.record) : undefined;
  return asString(quoted?.uri);
}
