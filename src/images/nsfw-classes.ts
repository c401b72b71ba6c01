import { z } from 'zod';

/** The five outputs of nsfwjs's MobileNetV2, in the model's order. */
export const MODEL_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type ModelClass = (typeof MODEL_CLASSES)[number];

/**
 * What `image_nsfw` may ask for: Graze's two classes (its model answers SFW/NSFW) and the model's own
 * five. NSFW is Porn + Hentai + Sexy (explicit and suggestive, like Bluesky's `porn` and `sexual`
 * labels), SFW the rest (Neutral + Drawing), so NSFW + SFW = 1.
 */
export const IMAGE_CLASSES = ['NSFW', 'SFW', ...MODEL_CLASSES] as const;
export type ImageClass = (typeof IMAGE_CLASSES)[number];

/** The model's probabilities for one image. */
export const NsfwScoresSchema = z.object({ Drawing: z.number(), Hentai: z.number(), Neutral: z.number(), Porn: z.number(), Sexy: z.number() });
export type NsfwScores = z.infer<typeof NsfwScoresSchema>;

const NSFW: readonly ModelClass[] = ['Porn', 'Hentai', 'Sexy'];

export function classScore(scores: NsfwScores, cls: ImageClass): number {
  if (cls === 'NSFW') return NSFW.reduce((sum, c) => sum + scores[c], 0);
  if (cls === 'SFW') return scores.Neutral + scores.Drawing;
  return scores[cls];
}

/** Reads the model's output row for one image. */
export function scoresOf(row: ArrayLike<number>): NsfwScores {
  return { Drawing: row[0]!, Hentai: row[1]!, Neutral: row[2]!, Porn: row[3]!, Sexy: row[4]! };
}
