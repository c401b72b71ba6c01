import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';

/**
 * A zod schema's `safeParse` for parsed JSON, without zod's copy of valid input. zod builds a new object
 * for every object it accepts (every post record, every facet), which on the firehose is most of the
 * consolidation's time and garbage. Here the schema's JSON Schema, compiled once by Ajv, checks the value
 * where it lies; valid input is returned as it is, and only input Ajv refuses goes through zod, which gives
 * the result and the error message exactly as before.
 *
 * Use it only for schemas whose JSON Schema is no looser than the zod schema: no refinements, transforms
 * or defaults (zod leaves refinements out of the JSON Schema). `test/consolidate-in-place.test.ts` holds
 * the ones used here to zod on recorded and mutated events. A strip-mode `z.object` accepts unknown keys
 * and drops them; in place they stay, so a reader must read the fields the schema names, as the
 * consolidator does.
 */
export function inPlace<S extends z.ZodType>(schema: S): (input: unknown) => z.ZodSafeParseResult<z.output<S>> {
  // Formats are not checked: zod's `startsWith` is written as a format and as a pattern, and the pattern checks it.
  const valid = new Ajv2020({ validateFormats: false }).compile(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }));
  return (input) => (valid(input) ? { success: true, data: input as z.output<S> } : schema.safeParse(input));
}
