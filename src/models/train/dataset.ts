import fs from 'node:fs';
import { z } from 'zod';
import { seededRandom, shuffled } from '../random.ts';

/** A data file that cannot be trained on: the message names the file, the line and what is wrong there. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** One labelled training example: the text, its 0/1 label and optionally when it was posted. */
export const ExampleSchema = z.object({
  text: z.string(),
  label: z
    .union([z.boolean(), z.literal(0), z.literal(1), z.enum(['0', '1', 'true', 'false'])], {
      error: (issue) => `must be 0, 1, true or false, got ${issue.input === undefined ? 'nothing' : JSON.stringify(issue.input)}`,
    })
    .transform((v) => (v === true || v === 1 || v === '1' || v === 'true' ? 1 : 0)),
  createdAt: z.string().min(1).optional(),
});
export type Example = z.infer<typeof ExampleSchema>;

/**
 * Reads JSON lines, each checked by `schema`; a bad line names the file and its line number. A missing file says
 * `hint`: where the training data comes from and which option passes it.
 */
export function readJsonLines<T>(file: string, schema: z.ZodType<T>, hint: string): T[] {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${hint}`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => {
      if (!line.trim()) return [];
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      return [parsed.data];
    });
}

/** Splits CSV text (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') [row, field] = [[...row, field], ''];
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      rows.push([...row, field]);
      [row, field] = [[], ''];
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** Reads labelled examples from JSON lines or a CSV with a header naming `text`, `label` and optionally `createdAt`. */
export function readExamples(file: string): Example[] {
  const text = fs.readFileSync(file, 'utf8');
  const records: { line: number; value: unknown }[] = [];
  if (file.endsWith('.csv')) {
    const [header = [], ...rows] = parseCsv(text);
    rows.forEach((fields, i) => {
      if (fields.length === 1 && fields[0] === '') return;
      records.push({ line: i + 2, value: Object.fromEntries(header.map((name, c) => [name.trim(), fields[c] === '' ? undefined : fields[c]])) });
    });
  } else {
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        records.push({ line: i + 1, value: JSON.parse(line) });
      } catch (error) {
        throw new DatasetError(`${file}:${i + 1}: not JSON (${(error as Error).message}): fix that line`);
      }
    });
  }
  return records.map(({ line, value }) => {
    const parsed = ExampleSchema.safeParse(value);
    if (!parsed.success) throw new DatasetError(`${file}:${line}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'} ${i.message}`).join('; ')}: fix that line`);
    return parsed.data;
  });
}

/** A seeded shuffle split into training and held-out test examples. */
export function splitExamples<T>(examples: readonly T[], testFraction: number, seed: number): { train: T[]; test: T[] } {
  const order = shuffled(examples, seededRandom(seed));
  const testCount = Math.round(order.length * testFraction);
  return { test: order.slice(0, testCount), train: order.slice(testCount) };
}
