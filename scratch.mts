import { manifestJsonSchema } from './src/manifests/json-schema.ts';
const s = manifestJsonSchema() as any;
const c = s.$defs.condition;
console.log(Object.keys(s.$defs), c.title, c.minProperties, c.additionalProperties);
console.log(JSON.stringify(c.properties.regex_any, null, 1).slice(0, 1500));
console.log(JSON.stringify(c.properties.social_list, null, 1).slice(0, 800));
console.log(JSON.stringify(s.properties.params, null, 1).slice(0, 800));
for (const [k, v] of Object.entries<any>(c.properties)) {
  if (!v.description) console.log('NO DESC', k);
  for (const [i, item] of (v.prefixItems ?? []).entries()) if (!item.title || !item.description) console.log('missing', k, i, JSON.stringify(item).slice(0, 200));
}
