import { z } from 'zod';
import { ModelEntrySchema } from '../core/model-entry.ts';
import { operators } from '../operators/index.ts';
import { LabelSchema } from './label.ts';
import { AuthorSchema } from './schema.ts';

/**
 * JSON Schema for editors, generated from the same zod schemas the loader validates with:
 * the filter is a recursive union of the logic operators and every registered leaf's argument schema.
 */
export function manifestJsonSchema(): unknown {
  const filter: z.ZodType = z.lazy(() =>
    z.union([
      z.object({ and: z.array(filter), metadata: z.unknown().optional() }),
      z.object({ or: z.array(filter), metadata: z.unknown().optional() }),
      z.object({ not: filter, metadata: z.unknown().optional() }),
      ...[...operators].map(([name, op]) => z.object({ [name]: op.args, metadata: z.unknown().optional() })),
    ]),
  );
  const manifest = z.object({ label: LabelSchema, filter, models: z.array(ModelEntrySchema).optional(), author: AuthorSchema.optional() });
  return z.toJSONSchema(manifest, { io: 'input', unrepresentable: 'any' });
}
