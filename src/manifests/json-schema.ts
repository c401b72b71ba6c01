import { z } from 'zod';
import { EACH, logicOperators } from '../operators/logic.ts';
import { operators } from '../operators/index.ts';
import { ManifestSchema } from './schema.ts';

/** The filter node as editors see it: one key per operator, each with its own argument schema. */
function conditionSchema(): z.ZodType {
  const condition: z.ZodType = z.lazy(() => node);
  const logic = (name: string) => logicOperators.get(name)!.description;
  const leaves = [...operators].map(([name, op]) => {
    const alias = op.name !== name ? ` (an alias of ${op.name})` : '';
    return [name, op.args.optional().meta({ title: name, description: `${op.description}${alias}` })] as const;
  });
  // An object keyed by operator (not a union of one-key objects), so a misspelt operator is one error
  // ("property not allowed") and a wrong argument is reported under its operator only.
  const node = z
    .strictObject({
      and: z.array(condition).min(1).optional().meta({ title: 'and', description: logic('and') }),
      or: z.array(condition).min(1).optional().meta({ title: 'or', description: logic('or') }),
      not: condition.optional().meta({ title: 'not', description: logic('not') }),
      each: z
        .strictObject({
          param: z.string().meta({ title: 'param', description: 'The list parameter (from "params") to run the condition for.' }),
          any: condition.optional().meta({ title: 'any', description: 'Holds when the condition holds for any element.' }),
          all: condition.optional().meta({ title: 'all', description: 'Holds when the condition holds for every element.' }),
        })
        .optional()
        .meta({ title: 'each', description: EACH.description }),
      ...Object.fromEntries(leaves),
      metadata: z.unknown().optional().meta({ title: 'metadata', description: 'Notes for people, on any condition; evaluation ignores them.' }),
    })
    .meta({ id: 'condition', title: 'condition', description: 'A condition: exactly one operator as key (and, or, not, each or a leaf operator), its arguments as value; "metadata" may sit beside it.' });
  return condition;
}

/**
 * JSON Schema for editors (completion, hover help, one error per typo), generated from the same zod
 * schemas the loader validates with. Attach it with `"$schema": "../docs/manifest.schema.json"`.
 */
export function manifestJsonSchema(): unknown {
  const manifest = ManifestSchema.extend({ filter: conditionSchema().meta({ title: 'filter', description: 'When the label applies: one condition, usually an "and" or "or" of several.' }) }).meta({
    title: 'skysift manifest',
    description: 'One label and the filter that decides which posts get it. Reference: docs/operators.md.',
  });
  const schema = z.toJSONSchema(manifest, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (jsonSchema.title === 'condition') jsonSchema.minProperties = 1;
      // Any argument may be a "$NAME" parameter, substituted before the arguments are validated.
      jsonSchema.prefixItems = jsonSchema.prefixItems?.map((position) => {
        const { title, description, ...item } = position as z.core.JSONSchema.JSONSchema;
        return { title, description, anyOf: [item, { $ref: '#/$defs/parameter' }] };
      });
    },
  });
  schema.$defs = { ...schema.$defs, parameter: { type: 'string', pattern: '^\\$[A-Za-z_][A-Za-z0-9_]*$', description: 'A parameter declared in "params", replaced by its value before the arguments are checked.' } };
  return schema;
}
