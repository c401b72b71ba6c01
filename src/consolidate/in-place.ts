import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';

/**
 * A zod schema's `safeParse` for parsed JSON, without zod's copy of valid input. zod builds a new object
 * for every object it accepts (every post record, every facet), which on the firehose was most of the
 * consolidation's time and garbage. Here the schema's JSON Schema, compiled once by Ajv, checks the value
 * where it lies; valid input is returned as it is, and only input Ajv refuses goes through zod, which gives
 * the result and the error message exactly as before.
 *
 * The JSON Schema must check all that zod checks, so only schemas built of the kinds below are taken:
 * no refinements, transforms or defaults, which zod leaves out of a JSON Schema or which change the value.
 * A strip-mode `z.object` accepts unknown keys and drops them; in place they stay, so a reader reads the
 * fields the schema names, as the consolidator does.
 */
export function inPlace<S extends z.ZodType>(schema: S): (input: unknown) => z.ZodSafeParseResult<z.output<S>> {
  assertCheckedByJsonSchema(schema);
  // Formats are not checked: zod writes `startsWith` as a format and as a pattern, and the pattern checks it.
  const valid = new Ajv2020({ validateFormats: false }).compile(z.toJSONSchema(schema, { io: 'input' }));
  return (input) => (valid(input) ? { success: true, data: input as z.output<S> } : schema.safeParse(input));
}

const KINDS = new Set(['object', 'string', 'number', 'boolean', 'null', 'array', 'enum', 'literal', 'union', 'optional', 'unknown']);
/** Checks zod cannot write as JSON Schema (`custom`: refine, superRefine) or that rewrite the value (`overwrite`: trim, toLowerCase). */
const UNWRITTEN_CHECKS = new Set(['custom', 'overwrite']);

function assertCheckedByJsonSchema(schema: z.core.$ZodType, at = 'schema'): void {
  const def = schema._zod.def as z.core.$ZodTypeDef & { shape?: Record<string, z.core.$ZodType>; catchall?: z.core.$ZodType; element?: z.core.$ZodType; options?: z.core.$ZodType[]; innerType?: z.core.$ZodType };
  if (!KINDS.has(def.type)) throw new Error(`inPlace: ${at} is a ${def.type}, which a JSON Schema does not check as zod does`);
  for (const check of def.checks ?? []) if (UNWRITTEN_CHECKS.has(check._zod.def.check)) throw new Error(`inPlace: ${at} has a check a JSON Schema does not hold (${check._zod.def.check})`);
  const parts = [...Object.entries(def.shape ?? {}), ['catchall', def.catchall], ['element', def.element], ['inner', def.innerType], ...(def.options ?? []).map((o, i) => [`option ${i}`, o] as const)] as const;
  for (const [name, part] of parts) if (part) assertCheckedByJsonSchema(part as z.core.$ZodType, `${at}.${name}`);
}
