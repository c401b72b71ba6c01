import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { IMAGE_PHASH } from '../images/analyzer.ts';
import { HashList } from '../images/hash-list.ts';
import { imageRefs } from '../images/refs.ts';
import { IMAGE_ANALYZER } from '../images/service.ts';
import { failedImages, imageFeatures } from './images.ts';

/** Reads an operator's hash list, named relative to the manifest that uses it. */
function readHashList(file: string, manifestFile: string): HashList {
  const resolved = path.resolve(path.dirname(manifestFile), file);
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new Error(`image_hash_match: cannot read the hash list ${resolved}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return HashList.parse(text, file);
}

/**
 * `image_hash_match [hash list file, max_distance]`: matches when one of the post's images has a
 * perceptual hash (pHash, as Python's `imagehash.phash` writes it) within `max_distance` bits of a
 * hash in the list, a text file next to the manifest (one hash per line, an optional note after it,
 * `#` comments). The explanation names each image's closest listed hash, its note and the Hamming
 * distance (also the leaf's score). A post without images does not match; an image that could not be
 * read leaves the leaf undecided unless another image already matched.
 */
export const image_hash_match: OperatorDefinition<[string, number]> = {
  name: 'image_hash_match',
  description:
    "Matches when one of the post's images has a 64-bit perceptual hash (pHash, as Python's imagehash.phash writes it: 16 hex digits) within max_distance bits of a hash in the list file. The file is named relative to the manifest: one hash per line, an optional note after it, # for comments; it is read when the manifest loads. The explanation gives each image's hash, its closest listed hash, the note and the Hamming distance (the leaf's score is the smallest). A post without images does not match; an image that cannot be read leaves the manifest undecided on the post unless another image matched.",
  examples: [{ args: ['known-images.txt', 8], means: 'an image is a near copy (at most 8 of 64 bits differ) of one listed in known-images.txt beside the manifest' }],
  graze: 'Not a Graze operator (labelers such as Skywatch match images by perceptual hash).',
  args: z.tuple([
    z.string().min(1, 'name the hash list file (relative to the manifest)').meta({ title: 'hash list', description: 'A text file beside the manifest: one 16-hex-digit pHash per line, optionally followed by a note.' }),
    z.number().int().min(0).max(64).meta({ title: 'max_distance', description: 'The most bits (of 64) in which an image may differ from a listed hash; 6–10 catches re-encoded and resized copies.' }),
  ]),
  // A download and a decode per image, no model: below image_nsfw, far above any text leaf.
  cost: 3000,
  compile([file, maxDistance], env) {
    env.services.require(IMAGE_ANALYZER, 'image_hash_match needs the images capability, which is not running here');
    const list = readHashList(file, env.manifestFile);
    return (post, context) => {
      const refs = imageRefs(post);
      if (!refs.length) return { matched: false, inputs: { list: file, images: [] } };
      const features = imageFeatures(refs, IMAGE_PHASH, context);
      if ('pending' in features) return features;
      const { results, failures } = features;
      const images = results.map(({ cid, value }) => {
        const nearest = list.nearest(value.hash);
        return { cid, hash: value.hash, distance: nearest.distance, listed: nearest.hash, ...(nearest.note && { note: nearest.note }) };
      });
      const matched = images.some((i) => i.distance <= maxDistance);
      if (!matched && failures.length) return { undecided: failedImages('image_hash_match', failures, refs.length) };
      return { matched, score: Math.min(...images.map((i) => i.distance)), inputs: { list: file, maxDistance, images } };
    };
  },
};
