import { z } from 'zod';
import { strictObject } from './strict.ts';

/** ATProto label values: lowercase ASCII letters and `-`, at most 100 characters; `!` values are reserved. */
export const LabelValueSchema = z
  .string()
  .max(100, 'a label value has at most 100 characters')
  .regex(/^[a-z-]+$/, 'use only lowercase ASCII letters and "-" (values starting with "!" are reserved for global labels)');

export const LabelLocaleSchema = strictObject({
  lang: z.string().min(2).meta({ description: 'A language code, e.g. "en".' }),
  name: z.string().min(1).max(64).meta({ description: 'The label\'s name in that language, as the Bluesky app shows it.' }),
  description: z.string().max(10_000).meta({ description: 'What the label means, in that language.' }),
}).meta({ title: 'locale' });

const IN_LOCALES = 'a label\'s name and description go in "locales": [{"lang": "en", "name": "...", "description": "..."}]';

/** ISO-8601 durations such as `P7D` or `PT12H`. */
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

export const LabelSchema = strictObject(
  {
    value: LabelValueSchema.meta({ description: 'The label value emitted on posts: lowercase ASCII letters and "-".' }),
    severity: z.enum(['inform', 'alert', 'none']).default('inform').meta({ description: 'How the Bluesky app presents it: inform (a note), alert (a warning) or none.' }),
    blurs: z.enum(['content', 'media', 'none']).default('none').meta({ description: 'What the app blurs on labelled posts: content, media or none.' }),
    defaultSetting: z.enum(['ignore', 'warn', 'hide']).default('warn').meta({ description: "Subscribers' default preference for the label." }),
    adultOnly: z.boolean().default(false).meta({ description: 'Only adults may see labelled posts or change the setting.' }),
    locales: z.array(LabelLocaleSchema).default([]).meta({ description: 'Names and descriptions per language, published with `skysift declare`.' }),
    expiresIn: z.string().regex(ISO_DURATION, 'expected an ISO-8601 duration such as "P7D" or "PT12H"').optional().meta({ description: 'Labels expire this long after they are applied (ISO-8601, e.g. "P7D").' }),
  },
  { name: IN_LOCALES, description: IN_LOCALES },
).meta({ title: 'label', description: 'The label this manifest applies.' });

export type Label = z.infer<typeof LabelSchema>;

/** `com.atproto.label.defs#labelValueDefinition`, as published in the labeler's declaration. */
export interface LabelValueDefinition {
  identifier: string;
  severity: Label['severity'];
  blurs: Label['blurs'];
  defaultSetting: Label['defaultSetting'];
  adultOnly: boolean;
  locales: Label['locales'];
}

export function labelValueDefinitions(labels: readonly Label[]): LabelValueDefinition[] {
  return labels.map((label) => ({
    identifier: label.value,
    severity: label.severity,
    blurs: label.blurs,
    defaultSetting: label.defaultSetting,
    adultOnly: label.adultOnly,
    locales: label.locales.length ? label.locales : [{ lang: 'en', name: label.value, description: '' }],
  }));
}

/** Milliseconds of an ISO-8601 duration (a month counted as 30 days, a year as 365), for a label's `exp`. */
export function durationMs(iso: string): number {
  const m = ISO_DURATION.exec(iso);
  if (!m) throw new Error(`not an ISO-8601 duration: ${iso}`);
  const n = (s: string | undefined) => (s ? parseFloat(s) : 0);
  const day = 86_400_000;
  return n(m[1]) * 365 * day + n(m[2]) * 30 * day + n(m[3]) * 7 * day + n(m[4]) * day + n(m[6]) * 3_600_000 + n(m[7]) * 60_000 + n(m[8]) * 1000;
}
