import { z } from 'zod';

/** ATProto label values: lowercase ASCII letters and `-`, at most 100 characters; `!` values are reserved. */
export const LabelValueSchema = z
  .string()
  .max(100, 'a label value has at most 100 characters')
  .regex(/^[a-z-]+$/, 'use only lowercase ASCII letters and "-" (values starting with "!" are reserved for global labels)');

export const LabelLocaleSchema = z.object({
  lang: z.string().min(2),
  name: z.string().min(1).max(64),
  description: z.string().max(10_000),
});

/** ISO-8601 durations such as `P7D` or `PT12H`. */
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

export const LabelSchema = z.object({
  value: LabelValueSchema,
  severity: z.enum(['inform', 'alert', 'none']).default('inform'),
  blurs: z.enum(['content', 'media', 'none']).default('none'),
  defaultSetting: z.enum(['ignore', 'warn', 'hide']).default('warn'),
  adultOnly: z.boolean().default(false),
  locales: z.array(LabelLocaleSchema).default([]),
  expiresIn: z.string().regex(ISO_DURATION, 'expected an ISO-8601 duration such as "P7D" or "PT12H"').optional(),
});

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
