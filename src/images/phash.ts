/**
 * The 64-bit perceptual hash (pHash) as Python's ImageHash computes `imagehash.phash`, the form most
 * shared hash lists use: the image in 32×32 grey, a 2-D DCT-II, its 8×8 lowest frequencies, each bit
 * set where a coefficient is above their median; written as 16 hex digits, row-major, first bit
 * most significant. Near-identical images (re-encoded, resized, lightly edited) differ in few bits.
 */
export const HASH_SIZE = 8;
export const HASH_SAMPLE = 32;
/** Identifies this algorithm in caches: a change to it must change this. */
export const PHASH_VERSION = 'phash-dct32-8';

const HEX = /^[0-9a-f]{16}$/i;

/** cos(π·k·(2n+1)/2N) for the 8 lowest frequencies k over the 32 samples n: the only rows of the DCT the hash keeps. */
const COSINES = Float64Array.from({ length: HASH_SIZE * HASH_SAMPLE }, (_, i) => {
  const k = Math.floor(i / HASH_SAMPLE);
  const n = i % HASH_SAMPLE;
  return Math.cos((Math.PI * k * (2 * n + 1)) / (2 * HASH_SAMPLE));
});

/** ITU-R 601-2 luma in PIL's integer arithmetic (`Image.convert('L')`). */
const luma = (r: number, g: number, b: number) => (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;

/** The hash of a 32×32 RGB image (`squareRgb(bytes, 32)`). */
export function phash(rgb: Uint8Array): string {
  if (rgb.length !== HASH_SAMPLE * HASH_SAMPLE * 3) throw new Error(`phash takes ${HASH_SAMPLE}×${HASH_SAMPLE} RGB pixels, got ${rgb.length} bytes`);
  const grey = new Float64Array(HASH_SAMPLE * HASH_SAMPLE);
  for (let p = 0; p < grey.length; p++) grey[p] = luma(rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!);
  // Separable DCT: down the columns (rows of the result are vertical frequencies), then along the rows.
  // Unnormalised, like scipy's default: a common factor leaves the comparison with the median unchanged.
  const columns = new Float64Array(HASH_SIZE * HASH_SAMPLE);
  for (let k = 0; k < HASH_SIZE; k++) {
    for (let x = 0; x < HASH_SAMPLE; x++) {
      let sum = 0;
      for (let y = 0; y < HASH_SAMPLE; y++) sum += COSINES[k * HASH_SAMPLE + y]! * grey[y * HASH_SAMPLE + x]!;
      columns[k * HASH_SAMPLE + x] = sum;
    }
  }
  const low = new Float64Array(HASH_SIZE * HASH_SIZE);
  for (let k = 0; k < HASH_SIZE; k++) {
    for (let l = 0; l < HASH_SIZE; l++) {
      let sum = 0;
      for (let x = 0; x < HASH_SAMPLE; x++) sum += columns[k * HASH_SAMPLE + x]! * COSINES[l * HASH_SAMPLE + x]!;
      low[k * HASH_SIZE + l] = sum;
    }
  }
  const sorted = Float64Array.from(low).sort();
  const median = (sorted[low.length / 2 - 1]! + sorted[low.length / 2]!) / 2;
  let hex = '';
  for (let nibble = 0; nibble < low.length / 4; nibble++) {
    let value = 0;
    for (let bit = 0; bit < 4; bit++) value = (value << 1) | (low[nibble * 4 + bit]! > median ? 1 : 0);
    hex += value.toString(16);
  }
  return hex;
}

export const isHash = (text: string): boolean => HEX.test(text);

/** A hash as two 32-bit halves, for fast Hamming distances. */
export function hashWords(hex: string): [number, number] {
  if (!isHash(hex)) throw new Error(`"${hex}" is not a 64-bit perceptual hash (16 hex digits)`);
  return [Number.parseInt(hex.slice(0, 8), 16), Number.parseInt(hex.slice(8), 16)];
}

function popcount(n: number): number {
  let v = n - ((n >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The number of bits in which two hashes differ (0 … 64). */
export function hammingDistance(a: readonly [number, number], b: readonly [number, number]): number {
  return popcount((a[0] ^ b[0]) >>> 0) + popcount((a[1] ^ b[1]) >>> 0);
}
