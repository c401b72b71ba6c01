import { isDeepStrictEqual } from 'node:util';
import { describedFetch } from '../network.ts';

/** A service entry of a PLC operation (`services.atproto_pds`, `services.atproto_labeler`). */
export interface PlcService {
  type: string;
  endpoint: string;
}

/** The parts of a DID's current PLC state that `setup` reads and changes (`GET <plc>/<did>/data`). */
export interface PlcData {
  verificationMethods: Record<string, string>;
  services: Record<string, PlcService>;
}

export interface LabelerDidChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** What a labeler needs in its DID document: its signing key as `#atproto_label` and its server as `#atproto_labeler`. */
export function labelerDidPlan(current: PlcData, signingDidKey: string, endpoint: string): { changes: LabelerDidChange[]; next: PlcData } {
  const wanted = { key: signingDidKey, service: { type: 'AtprotoLabeler', endpoint } };
  const changes: LabelerDidChange[] = [];
  if (current.verificationMethods.atproto_label !== wanted.key) changes.push({ field: 'verificationMethods.atproto_label', from: current.verificationMethods.atproto_label ?? null, to: wanted.key });
  if (!isDeepStrictEqual(current.services.atproto_labeler, wanted.service)) changes.push({ field: 'services.atproto_labeler', from: current.services.atproto_labeler ?? null, to: wanted.service });
  return {
    changes,
    next: {
      verificationMethods: { ...current.verificationMethods, atproto_label: wanted.key },
      services: { ...current.services, atproto_labeler: wanted.service },
    },
  };
}

/** The DID's current PLC state, from the directory. */
export async function fetchPlcData(plcUrl: string, did: string): Promise<PlcData> {
  if (!did.startsWith('did:plc:')) throw new Error(`${did} is not a did:plc; add #atproto_label and #atproto_labeler to its DID document by hand`);
  const url = new URL(`/${encodeURIComponent(did)}/data`, plcUrl);
  const response = await describedFetch(url).catch((error: Error) => {
    throw new Error(`could not read ${did} from the PLC directory: ${error.message}`);
  });
  if (!response.ok) throw new Error(`the PLC directory answered ${response.status} for GET ${url}`);
  const data = (await response.json()) as PlcData;
  return { verificationMethods: data.verificationMethods ?? {}, services: data.services ?? {} };
}
