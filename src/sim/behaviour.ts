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
  /** Event Grid's delivery latency (Azure documents no figure; 0 by default: events arrive at once). */
  eventLatencyMs: number;
  eventLatencyJitterMs: number;
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
  eventLatencyMs: 0,
  eventLatencyJitterMs: 0,
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
  b.eventLatencyMs = d(spec.eventLatency, b.eventLatencyMs);
  b.eventLatencyJitterMs = d(spec.eventLatencyJitter, b.eventLatencyJitterMs);
  b.replicationFailures = (spec.replicationFailures ?? []).map((f) => ({ version: f.version, region: normalizeRegion(f.region) }));
  return b;
}

function versionMatches(pattern: string, version: string): boolean {
  if (pattern === '*' || pattern === version) return true;
  if (pattern.endsWith('*')) return version.startsWith(pattern.slice(0, -1));
  return false;
}

/**
 * The versions among `versions` that the health rules make unhealthy somewhere: a rule naming the version (not
 * `*`) with an unhealthy share, or a `healthy: false` / `unhealthyProbability` rule that no earlier unconditional
 * verdict for that version overrides (the oracle's first-applying-rule-wins). "Bad" by the fleet, whatever a
 * release manager decides about it.
 */
export function brokenVersions(rules: readonly HealthRuleSpec[], versions: readonly string[], image?: string): string[] {
  return versions.filter((v) => {
    let decided = false;
    for (const r of rules) {
      if (!versionMatches(r.version, v)) continue;
      if (r.image !== undefined && image !== undefined && r.image.toLowerCase() !== image.toLowerCase()) continue;
      const named = r.version !== '*';
      if (named && (r.unhealthyPercent ?? 0) > 0) return true;
      if (decided || (r.healthy === undefined && r.unhealthyProbability === undefined)) continue;
      const unhealthy = r.healthy === false || (r.unhealthyProbability ?? 0) > 0;
      if (named && unhealthy) return true;
      const unconditional = !r.image && !r.regions && !r.scaleSets && r.from === undefined && r.until === undefined && r.afterUpgrade === undefined;
      if (unconditional) decided = true;
    }
    return false;
  });
}

/** What the oracle needs to know about an instance to answer for it. */
export interface HealthSubject {
  version: string;
  /** The gallery image definition's name the instance runs. */
  image: string;
  region: string;
  scaleSet: string;
  instanceId: string;
  /** Every instance id of the scale set: a rule's unhealthy share is an exact share of the set. */
  setInstanceIds: readonly string[];
  /** When the instance was reimaged to the version it runs (simulated ms); undefined: before the start. */
  reimagedAt: number | undefined;
}

interface CompiledRule {
  spec: HealthRuleSpec;
  image: string | undefined;
  regions: Set<string> | undefined;
  scaleSets: Set<string> | undefined;
  afterUpgradeMs: number | undefined;
  fromMs: number | undefined;
  untilMs: number | undefined;
  key: string;
}

function compile(spec: HealthRuleSpec): CompiledRule {
  const d = (v: string | number | undefined): number | undefined => (v === undefined ? undefined : parseDuration(v));
  return {
    spec,
    image: spec.image?.toLowerCase(),
    regions: spec.regions ? new Set(spec.regions.map(normalizeRegion)) : undefined,
    scaleSets: spec.scaleSets ? new Set(spec.scaleSets.map((x) => x.toLowerCase())) : undefined,
    afterUpgradeMs: d(spec.afterUpgrade),
    fromMs: d(spec.from),
    untilMs: d(spec.until),
    key: JSON.stringify(spec),
  };
}

/**
 * Per-instance health from the scenario's rules, as a function of the instance, its version and simulated time
 * (deterministic for the seed). A rule applies when version, regions and scaleSets match and it is in force
 * (`from` ≤ now − start < `until`, and now − reimagedAt ≥ `afterUpgrade`). An instance is unhealthy when an
 * applying `unhealthyPercent` rule has it in its share; otherwise the first applying `healthy` or
 * `unhealthyProbability` rule decides; with none, it is healthy.
 *
 * Worked example: a set of ten on 1.7.0 under `{ version: 1.7.0, unhealthyPercent: 40, afterUpgrade: 30m }`:
 * the share is the ⌈10 × 40 / 100⌉ = 4 instances with the lowest seeded hashes; each of them turns unhealthy
 * 30 minutes after its own reimage, the other six stay as the remaining rules say.
 */
export class HealthOracle {
  private compiled: CompiledRule[] = [];
  private readonly shares = new Map<string, Set<string>>();

  constructor(
    private readonly seed: number,
    rules: HealthRuleSpec[],
    /** The simulation's start (ms since the epoch): `from` and `until` count from it. */
    private readonly startMs = 0,
  ) {
    this.rules = rules;
  }

  get rules(): HealthRuleSpec[] {
    return this.compiled.map((c) => c.spec);
  }
  set rules(rules: HealthRuleSpec[]) {
    this.compiled = rules.map(compile);
    this.shares.clear();
  }

  /** Absolute times at which a rule's window opens or closes (every instance must be looked at again then). */
  windowEdges(): number[] {
    const out = new Set<number>();
    for (const c of this.compiled) {
      if (c.fromMs !== undefined) out.add(this.startMs + c.fromMs);
      if (c.untilMs !== undefined) out.add(this.startMs + c.untilMs);
    }
    return [...out].sort((a, b) => a - b);
  }

  /** Distinct `afterUpgrade` delays (an instance must be looked at again that long after its reimage). */
  afterUpgradeDelays(): number[] {
    return [...new Set(this.compiled.flatMap((c) => (c.afterUpgradeMs === undefined ? [] : [c.afterUpgradeMs])))].sort((a, b) => a - b);
  }

  /** Whether the instance reports healthy at `nowMs` (simulated ms since the epoch). */
  healthy(s: HealthSubject, nowMs: number): boolean {
    const r = normalizeRegion(s.region);
    const set = s.scaleSet.toLowerCase();
    let decided: boolean | undefined;
    for (const c of this.compiled) {
      if (!this.applies(c, s, r, set, nowMs)) continue;
      const rule = c.spec;
      if (rule.unhealthyPercent !== undefined) {
        if (this.share(c, set, s.setInstanceIds).has(s.instanceId)) return false;
        continue;
      }
      if (decided !== undefined) continue;
      if (rule.healthy !== undefined) decided = rule.healthy;
      else if (rule.unhealthyProbability !== undefined) {
        decided = keyedRandom(this.seed, `health|${s.version}|${r}|${set}|${s.instanceId}`) >= rule.unhealthyProbability;
      }
    }
    return decided ?? true;
  }

  private applies(c: CompiledRule, s: HealthSubject, region: string, set: string, nowMs: number): boolean {
    if (!versionMatches(c.spec.version, s.version)) return false;
    if (c.image !== undefined && c.image !== s.image.toLowerCase()) return false;
    if (c.regions && !c.regions.has(region)) return false;
    if (c.scaleSets && !c.scaleSets.has(set)) return false;
    const since = nowMs - this.startMs;
    if (c.fromMs !== undefined && since < c.fromMs) return false;
    if (c.untilMs !== undefined && since >= c.untilMs) return false;
    if (c.afterUpgradeMs !== undefined && s.reimagedAt !== undefined && nowMs - s.reimagedAt < c.afterUpgradeMs) return false;
    return true;
  }

  /** The rule's unhealthy share of a set: the ⌈n × p / 100⌉ instances with the lowest seeded hashes. */
  private share(c: CompiledRule, set: string, ids: readonly string[]): Set<string> {
    const k = `${c.key}|${set}|${ids.length}`;
    let chosen = this.shares.get(k);
    if (!chosen) {
      const n = Math.ceil((ids.length * (c.spec.unhealthyPercent ?? 0)) / 100 - 1e-9);
      const ranked = ids.map((id) => ({ id, h: keyedRandom(this.seed, `share|${c.key}|${set}|${id}`) })).sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1));
      chosen = new Set(ranked.slice(0, n).map((x) => x.id));
      this.shares.set(k, chosen);
    }
    return chosen;
  }
}
