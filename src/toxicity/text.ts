import type { PostRecord } from '../consolidate/post.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (...values: unknown[]) => values.filter((v): v is string => typeof v === 'string' && v !== '');

/**
 * The text `toxicity_analysis` reads, as Graze gathers it: the post's text, the alt texts of its
 * images, and the title and description of its link card, one per line.
 */
export function toxicityText(record: PostRecord): string {
  const embed = record.embed;
  const images = isObject(embed) && Array.isArray(embed.images) ? embed.images : [];
  const external = isObject(embed) && isObject(embed.external) ? embed.external : {};
  return strings(record.text, ...images.map((image) => (isObject(image) ? image.alt : undefined)), external.title, external.description).join('\n');
}
