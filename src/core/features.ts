/**
 * Features: the expensive inputs of leaves (embeddings, model answers). A leaf that needs one which is
 * not ready returns it as a pending request; the evaluator computes the pending requests of a whole
 * batch of posts with one call per provider and evaluates again.
 */

/** A kind of feature, named by its provider, typed by what goes in and what comes out. */
export interface FeatureKind<In, Out> {
  readonly name: string;
  /** Never set: carries `In` and `Out` for the type checker. */
  readonly types?: { in: In; out: Out };
}

export const featureKind = <In, Out>(name: string): FeatureKind<In, Out> => ({ name });

/** One feature a leaf needs. `key` identifies the input (e.g. model + text), so equal requests are computed once. */
export interface FeatureRequest<In = unknown, Out = unknown> {
  kind: FeatureKind<In, Out>;
  key: string;
  input: In;
}

/** Computes the features of one kind, a batch at a time. */
export interface FeatureProvider<In = unknown, Out = unknown> {
  kind: FeatureKind<In, Out>;
  compute(inputs: In[]): Promise<Out[]>;
  /**
   * Set when `compute` is a pure function of its inputs and of what the capability loaded when it opened (model
   * files: no database, no network, nothing kept between calls), with inputs and outputs that survive a structured
   * clone: evaluation threads may then run it, each having opened the same capability (EVALUATION_THREADS).
   * `failed` is the output for an input whose thread failed, one its leaves read as undecided.
   */
  threadable?: { failed(reason: string): Out };
  /** Set when `compute` calls another service over the network (an LLM API, the image CDN): it is asked about real posts only. */
  remote?: true;
}
