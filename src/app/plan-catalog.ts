/** The plans this app runs, found by the image definition they release. */
import { imageDefinitionOf, type ReleasePlan } from '../core';

export interface PlanCatalog {
  plans: ReleasePlan[];
  /** The plan covering a gallery image version or definition id, if any (case-insensitive, as ARM ids are). */
  forVersion(versionId: string): ReleasePlan | undefined;
}

export function planCatalog(plans: ReleasePlan[]): PlanCatalog {
  const byImage = new Map(plans.map((p) => [p.image.toLowerCase(), p]));
  return {
    plans,
    forVersion: (id) => byImage.get(imageDefinitionOf(id).toLowerCase()) ?? byImage.get(id.toLowerCase()),
  };
}

