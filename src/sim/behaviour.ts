// Timings of the simulated platform and the per-instance health oracle (from the scenario's health rules).
import { parseDuration } from './durations';
import type { BehaviourSpec, HealthRuleSpec } from './fleet-spec';
import { keyedRandom } from './prng';
import { normalizeRegion } from './regions';

export interface Behaviour {
  detectionDelayMs: number;
  detectionJitterMs: number;
  replicationTimeMs: number;
  regionStaggerMs: number;
  reimageMs: number;
  healthSettleMs: number;
  rollbackMs: number;
  historyLimit: number;
  replicationFailures: { version: string; region: string }[];
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  detectionDelayMs: 30 * 60_000,
  detectionJitterMs: 30 * 60_000,
  replicationTimeMs: 20 * 60_000,
  regionStaggerMs: 10 * 60_000,
  reimageMs: 3 * 60_000,
  healthSettleMs: 2 * 60_000,
  rollbackMs: 3 * 60_000,
  historyLimit: 5,
  replicationFailures: [],
};

export function resolveBehaviour(spec: BehaviourSpec | undefined): Behaviour {
  const b = { ...DEFAULT_BEHAVIOUR };
  if (!spec) return b;
  const d = (v: string | number | undefined, fallback: number): number => (v === undefined ? fallback : parseDuration(v));
  b.detectionDelayMs = d(spec.detectionDelay, b.detectionDelayMs);
  b.detectionJitterMs = d(spec.detectionJitter, b.detectionJitterMs);
  b.replicationTimeMs = d(spec.replicationTime, b.replicationTimeMs);
  b.regionStaggerMs = d(spec.regionStagger, b.regionStaggerMs);
  b.reimageMs = d(spec.reimageDuration, b.reimageMs);
  b.healthSettleMs = d(spec.healthSettle, b.healthSettleMs);
  b.rollbackMs = d(spec.rollbackDuration, b.rollbackMs);
  b.historyLimit = spec.osUpgradeHistoryLimit ?? b.historyLimit;
  b.replicationFailures = (spec.replicationFailures ?? []).map((f) => ({ version: f.version, region: normalizeRegion(f.region) }));
  return b;
}

function versionMatches(pattern: string, version: string): boolean {
  if (pattern === '*' || pattern === version) return true;
  if (pattern.endsWith('*')) return version.startsWith(pattern.slice(0, -1));
  return false;
}

export class HealthOracle {
  constructor(
    private readonly seed: number,
    public rules: HealthRuleSpec[],
  ) {}

  /** Whether an instance running `version` in `region` reports healthy (deterministic for the seed). */
  healthy(version: string, region: string, scaleSet: string, instanceId: string): boolean {
    const r = normalizeRegion(region);
    for (const rule of this.rules) {
      if (!versionMatches(rule.version, version)) continue;
      if (rule.regions && !rule.regions.some((x) => normalizeRegion(x) === r)) continue;
      if (rule.scaleSets && !rule.scaleSets.some((x) => x.toLowerCase() === scaleSet.toLowerCase())) continue;
      if (rule.healthy !== undefined) return rule.healthy;
      if (rule.unhealthyProbability !== undefined) {
        return keyedRandom(this.seed, `health|${version}|${r}|${scaleSet.toLowerCase()}|${instanceId}`) >= rule.unhealthyProbability;
      }
    }
    return true;
  }
}
