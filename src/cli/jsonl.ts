import fs from 'node:fs';
import readline from 'node:readline';

export type JsonlLine = { lineNo: number; value: unknown } | { lineNo: number; error: string };

/** Reads a JSON-lines file in batches; a line that is not JSON is reported in place, not thrown. */
export async function* jsonlBatches(file: string, size: number): AsyncGenerator<JsonlLine[]> {
  let batch: JsonlLine[] = [];
  let lineNo = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
    lineNo++;
    if (!line.trim()) continue;
    try {
      batch.push({ lineNo, value: JSON.parse(line) });
    } catch {
      batch.push({ lineNo, error: 'invalid JSON' });
    }
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
