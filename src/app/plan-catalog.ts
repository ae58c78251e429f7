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

/** Compares gallery version names ("1.7.10" > "1.7.9"); Azure requires Major.Minor.Patch integers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
