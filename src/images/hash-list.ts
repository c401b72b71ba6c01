import { hammingDistance, hashWords, isHash } from './phash.ts';

/** One known image: its hash and the note the operator wrote beside it. */
export interface HashEntry {
  hash: string;
  note?: string;
}

/** The closest known image to a hash. */
export interface NearestHash extends HashEntry {
  distance: number;
}

/**
 * An operator's list of known image hashes. The file form: one hash (16 hex digits, as
 * `imagehash.phash` prints it) per line, optionally followed by a note; `#` starts a comment.
 */
export class HashList {
  readonly #words: Uint32Array;

  constructor(readonly entries: readonly HashEntry[]) {
    this.#words = Uint32Array.from(entries.flatMap((e) => hashWords(e.hash)));
  }

  /** Parses the file form; every bad line is one problem naming the line. */
  static parse(text: string, source: string): HashList {
    const entries: HashEntry[] = [];
    const problems: string[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) return;
      const [hash, ...note] = line.split(/\s+/);
      if (!isHash(hash!)) problems.push(`${source} line ${i + 1}: "${hash}" is not a 64-bit perceptual hash (16 hex digits)`);
      else entries.push({ hash: hash!.toLowerCase(), ...(note.length && { note: note.join(' ') }) });
    });
    if (problems.length) throw new Error(problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : ''));
    if (!entries.length) throw new Error(`${source} lists no hashes`);
    return new HashList(entries);
  }

  /** The listed image closest to `hash` (the first of equals). */
  nearest(hash: string): NearestHash {
    const words = hashWords(hash);
    let best = 0;
    let bestDistance = Infinity;
    for (let i = 0; i < this.entries.length; i++) {
      const distance = hammingDistance(words, [this.#words[2 * i]!, this.#words[2 * i + 1]!]);
      if (distance < bestDistance) [best, bestDistance] = [i, distance];
    }
    return { ...this.entries[best]!, distance: bestDistance };
  }
}
