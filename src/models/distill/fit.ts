import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { seededRandom, shuffled } from '../random.ts';

/**
 * The `dimensions` directions that carry most of the teacher's post embeddings (eigenvectors of their
 * uncentred second moment, largest first), as rows of a `dimensions × teacherDimensions` matrix.
 * Uncentred, because the teacher's cosine includes the direction all posts share: projecting onto these
 * directions is the best rank-`dimensions` approximation of every dot product between posts.
 */
export function principalBasis(vectors: readonly Float32Array[], dimensions: number): { basis: Float32Array[]; energy: number } {
  const n = vectors[0]!.length;
  // Summed in a flat array (the upper triangle), then mirrored: tens of thousands of posts × n² products.
  const sums = new Float64Array(n * n);
  for (const v of vectors)
    for (let i = 0; i < n; i++) {
      const vi = v[i]!;
      for (let j = i, at = i * n + i; j < n; j++, at++) sums[at]! += vi * v[j]!;
    }
  const moment = Matrix.zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) moment.set(i, j, sums[i * n + j]!).set(j, i, sums[i * n + j]!);
  const evd = new EigenvalueDecomposition(moment, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const kept = order.slice(0, dimensions);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const basis = kept.map((k) => Float32Array.from(evd.eigenvectorMatrix.getColumn(k)));
  return { basis, energy: kept.reduce((s, k) => s + values[k]!, 0) / total };
}

/** The coordinates of `vector` along each basis direction. */
export function project(basis: readonly Float32Array[], vector: Float32Array): Float32Array {
  return Float32Array.from(basis, (direction) => {
    let dot = 0;
    for (let i = 0; i < direction.length; i++) dot += direction[i]! * vector[i]!;
    return dot;
  });
}

export function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return norm > 0 ? vector.map((v) => v / norm) : vector;
}

/** A training text as the table sees it: the rows its tokens use and how much each counts (1, or 1/pieces of an unknown word). */
export interface RowBag {
  rows: Int32Array;
  weights: Float32Array;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Pull of every touched row back towards its distilled start, so that rows seen in few posts stay near the teacher's word vector. */
  anchor: number;
  seed: number;
  /** From this epoch on, the table scored (and returned) is the mean of the tables at the end of each epoch since (0: the last table). */
  averageFrom: number;
}

export const DEFAULT_FIT: FitOptions = { epochs: 8, batchSize: 16, learningRate: 0.004, anchor: 0, seed: 16, averageFrom: 3 };

/**
 * Tokenlearn (Model2Vec's second step): fits the table so that a text's normalised sum of rows points
 * where the teacher's embedding of the text points (projected on the basis): loss 1 − cos, minimised by
 * Adam with lazy updates (only rows a batch uses move) and an L2 pull towards the starting table.
 * `score` runs after every epoch (higher is better, e.g. Spearman on validation pairs); the best epoch's
 * table is returned, so training stops being useful before it starts to overfit. Late epochs are averaged
 * (`averageFrom`): the mean of tables that each fit the texts well generalises better than any one of them.
 */
export function fitTable(
  start: Float32Array,
  dimensions: number,
  bags: readonly RowBag[],
  targets: readonly Float32Array[],
  options: FitOptions,
  score: (table: Float32Array, epoch: number) => number,
): { table: Float32Array; epoch: number; score: number; history: number[] } {
  const table = Float32Array.from(start);
  const m = new Float32Array(table.length);
  const v = new Float32Array(table.length);
  const gradient = new Float32Array(table.length);
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  const random = seededRandom(options.seed);
  const order = bags.map((_, i) => i);
  const sum = new Float32Array(dimensions);
  const direction = new Float32Array(dimensions);
  let step = 0;
  const mean = new Float32Array(options.averageFrom > 0 ? table.length : 0);
  let averaged = 0;
  const history: number[] = [];
  let best = { table: Float32Array.from(start), epoch: 0, score: score(start, 0) };
  history.push(best.score);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    // Linear decay to a tenth over the epochs: big steps first, fine ones last.
    const rate = options.learningRate * (1 - (0.9 * (epoch - 1)) / Math.max(1, options.epochs - 1));
    const shuffledOrder = shuffled(order, random);
    for (let first = 0; first < shuffledOrder.length; first += options.batchSize) {
      const touched = new Set<number>();
      for (const index of shuffledOrder.slice(first, first + options.batchSize)) {
        const { rows, weights } = bags[index]!;
        if (!rows.length) continue;
        const target = targets[index]!;
        sum.fill(0);
        for (let t = 0; t < rows.length; t++) {
          const offset = rows[t]! * dimensions;
          for (let k = 0; k < dimensions; k++) sum[k]! += weights[t]! * table[offset + k]!;
        }
        const norm = Math.hypot(...sum);
        if (norm === 0) continue;
        let cos = 0;
        for (let k = 0; k < dimensions; k++) cos += (sum[k]! / norm) * target[k]!;
        // d(1 − cos)/d(sum) = −(target − cos · ŝ) / |sum|
        for (let k = 0; k < dimensions; k++) direction[k] = -(target[k]! - (cos * sum[k]!) / norm) / norm;
        for (let t = 0; t < rows.length; t++) {
          const offset = rows[t]! * dimensions;
          touched.add(rows[t]!);
          for (let k = 0; k < dimensions; k++) gradient[offset + k]! += weights[t]! * direction[k]!;
        }
      }
      step++;
      const correction1 = 1 - beta1 ** step;
      const correction2 = 1 - beta2 ** step;
      for (const row of touched) {
        const offset = row * dimensions;
        for (let k = offset; k < offset + dimensions; k++) {
          const g = gradient[k]! / options.batchSize + options.anchor * (table[k]! - start[k]!);
          gradient[k] = 0;
          m[k] = beta1 * m[k]! + (1 - beta1) * g;
          v[k] = beta2 * v[k]! + (1 - beta2) * g * g;
          table[k]! -= (rate * (m[k]! / correction1)) / (Math.sqrt(v[k]! / correction2) + epsilon);
        }
      }
    }
    let scored = table;
    if (options.averageFrom > 0 && epoch >= options.averageFrom) {
      averaged++;
      for (let i = 0; i < table.length; i++) mean[i]! += (table[i]! - mean[i]!) / averaged;
      scored = mean;
    }
    const current = score(scored, epoch);
    history.push(current);
    if (current > best.score) best = { table: Float32Array.from(scored), epoch, score: current };
  }
  return { ...best, history };
}

/** How many of the texts use each row. */
export function rowUse(bags: readonly RowBag[], rows: number): Uint32Array {
  const use = new Uint32Array(rows);
  for (const bag of bags) for (const row of new Set(bag.rows)) use[row]!++;
  return use;
}

/**
 * Rows no training text used (general-English words the posts never wrote, unused pieces) keep their
 * distilled vectors, which live in the space fitting left behind. A linear map, fitted by least squares
 * from the distilled to the fitted vectors of rows that many texts used, carries them over.
 */
export function alignUnused(start: Float32Array, fitted: Float32Array, dimensions: number, use: Uint32Array, minUse: number): { table: Float32Array; moved: number; fittedOn: number } {
  const anchors = [...use.keys()].filter((r) => use[r]! >= minUse);
  const rowsOf = (table: Float32Array) => new Matrix(anchors.map((r) => Array.from(table.subarray(r * dimensions, (r + 1) * dimensions))));
  const map = solve(rowsOf(start), rowsOf(fitted), true);
  const table = Float32Array.from(fitted);
  let moved = 0;
  for (let r = 0; r < use.length; r++) {
    if (use[r]) continue;
    const moved_ = new Matrix([Array.from(start.subarray(r * dimensions, (r + 1) * dimensions))]).mmul(map);
    table.set(moved_.getRow(0), r * dimensions);
    moved++;
  }
  return { table, moved, fittedOn: anchors.length };
}
