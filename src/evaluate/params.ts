import { z } from 'zod';
import { didYouMean } from '../messages.ts';

/**
 * Parameters, as in Graze's custom nodes: a manifest declares `"params": {"NAME": value}` and its
 * filter uses `$NAME`. A string that is exactly `"$NAME"` becomes the value itself (a number, a
 * boolean, a list); `$NAME` inside a longer string is replaced by the value's text. `each` binds a list
 * parameter to each of its elements in turn.
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ParamValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);

export const ParamsSchema = z.record(z.string().regex(NAME, 'a parameter name is letters, digits and "_", not starting with a digit'), ParamValueSchema).meta({
  title: 'params',
  description:
    'Values for $NAME in the filter (Graze\'s custom-node parameters): "$NAME" alone becomes the value (a string, number, boolean or list), inside a longer string its text; `each` runs a condition once per element of a list parameter; `param_compare` tests a parameter (e.g. a toggle). A string that is exactly "$NAME" in capitals must name a declared parameter.',
});
export type Params = ReadonlyMap<string, unknown>;

/** `$NAME` in upper case is how Graze writes parameters: one that is not declared is a mistake, not text. */
const LOOKS_LIKE_PARAM = /^\$([A-Z][A-Z0-9_]*)$/;
const IN_TEXT = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Replaces the declared `$NAME`s in a leaf's arguments; `report` gets each misuse with its JSON path. */
export function substitute(value: unknown, params: Params, path: string, report: (path: string, message: string) => void): unknown {
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, params, `${path}[${i}]`, report));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, params, `${path}.${k}`, report)]));
  if (typeof value !== 'string' || !value.includes('$')) return value;
  const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  if (whole && params.has(whole[1]!)) return params.get(whole[1]!);
  const undeclared = LOOKS_LIKE_PARAM.exec(value);
  if (undeclared) {
    report(path, `unknown parameter ${value}: declare it in the manifest's "params"${didYouMean(undeclared[1]!, params.keys())}`);
    return value;
  }
  return value.replace(IN_TEXT, (text, name: string) => {
    if (!params.has(name)) return text;
    const param = params.get(name);
    if (Array.isArray(param)) report(path, `list parameter $${name} can only stand alone ("$${name}"), not inside a string`);
    return String(param);
  });
}
