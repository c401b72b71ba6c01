import type { ServiceContext, ServicePart } from '../core/services.ts';
import { openPolitical } from '../political/classifier.ts';
import { openToxicity } from '../toxicity/classifier.ts';

export type PartFactory = (context: ServiceContext) => Promise<ServicePart> | ServicePart;

/**
 * The capabilities whose feature providers are threadable (pure inference over model files): all an evaluation
 * thread opens, so that a thread loads these models and nothing else (no database, network clients or image
 * model). A threadable provider of any other capability is refused when the services open.
 */
export const threadableParts: PartFactory[] = [openPolitical, openToxicity];
