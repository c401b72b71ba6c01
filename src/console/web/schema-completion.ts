import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { getLocation } from 'jsonc-parser';

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
}

/** The schemas that may describe the value at `path` (several where the schema says anyOf). */
export function schemasAt(root: JsonSchema, path: readonly (string | number)[]): JsonSchema[] {
  const deref = (s: JsonSchema): JsonSchema[] => {
    if (s.$ref) return deref(root.$defs?.[s.$ref.replace('#/$defs/', '')] ?? {});
    const alternatives = s.anyOf ?? s.oneOf;
    return alternatives ? alternatives.flatMap(deref) : [s];
  };
  let current = deref(root);
  for (const segment of path) {
    current = current.flatMap((s) => {
      if (typeof segment === 'number') return deref(s.prefixItems?.[segment] ?? s.items ?? {});
      const property = s.properties?.[segment];
      return property ? deref(property) : [];
    });
  }
  return current;
}

/** Completion from the manifest JSON Schema: property names (operators in a filter) where a key goes, enum values where a value goes. */
export function schemaCompletion(schema: () => JsonSchema | undefined) {
  return (context: CompletionContext): CompletionResult | null => {
    const root = schema();
    if (!root) return null;
    const text = context.state.doc.toString();
    const location = getLocation(text, context.pos);
    const word = context.matchBefore(/"?[\w$-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const from = word.text.startsWith('"') ? word.from + 1 : word.from;
    const schemas = location.isAtPropertyKey ? schemasAt(root, location.path.slice(0, -1)) : schemasAt(root, location.path);
    const options: Completion[] = [];
    if (location.isAtPropertyKey) {
      for (const s of schemas)
        for (const [name, property] of Object.entries(s.properties ?? {}))
          options.push({ label: name, type: 'property', info: property.description ?? property.title, apply: word.text.startsWith('"') ? name : `"${name}"` });
    } else {
      for (const s of schemas) for (const value of [...(s.enum ?? []), ...(s.const !== undefined ? [s.const] : [])]) options.push({ label: JSON.stringify(value), type: 'enum', info: s.description });
    }
    return options.length ? { from: location.isAtPropertyKey ? from : word.from, options, validFor: /^"?[\w$-]*$/ } : null;
  };
}
