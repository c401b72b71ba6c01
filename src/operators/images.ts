import type { FeatureKind, FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import { imageRequest, isFailure, type ImageFailure } from '../images/analyzer.ts';
import type { ImageRef } from '../images/refs.ts';

/** One image's feature, ready. */
export interface ImageResult<T> {
  cid: string;
  value: T;
}

/** A post's images: every feature ready (split into results and failures), or the requests still pending. */
export type ImageFeatures<T> = { pending: FeatureRequest[] } | { results: ImageResult<T>[]; failures: ImageResult<ImageFailure>[] };

/** Reads the feature of `kind` for each image; all the missing ones are requested in one go. */
export function imageFeatures<T extends object>(refs: readonly ImageRef[], kind: FeatureKind<ImageRef, T | ImageFailure>, context: EvaluationContext): ImageFeatures<T> {
  const pending: FeatureRequest[] = [];
  const results: ImageResult<T>[] = [];
  const failures: ImageResult<ImageFailure>[] = [];
  for (const ref of refs) {
    const request = imageRequest(kind, ref);
    const value = context.feature(request);
    if (value === undefined) pending.push(request);
    else if (isFailure(value)) failures.push({ cid: ref.cid, value });
    else results.push({ cid: ref.cid, value });
  }
  return pending.length ? { pending } : { results, failures };
}

/** Why a leaf could not decide: how many of the post's images failed, and the first reason. */
export function failedImages(operator: string, failures: readonly ImageResult<ImageFailure>[], total: number): string {
  return `${operator}: ${failures.length} of ${total} images could not be analysed (${failures[0]!.value.error})`;
}
