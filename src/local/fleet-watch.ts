/**
 * Samples a simulated fleet at every lockstep step and keeps the figures a rehearsal reports: which
 * instances ever ran a bad version, in which regions, when the version stopped spreading, and how many
 * instances ran a release's version outside the rings it had opened. Releases are keyed by image and version
 * (`releaseKey`): two image definitions may both have a 1.7.0.
 */
import type { ScaleSet, Simulator } from '../sim';
import { imageNameOf, releaseKey } from './scenario';

export interface FleetFigures {
  instancesOnBadVersion: number;
  regionsAffected: string[];
  /** Simulated ms from the first bad instance until no region could take the bad version any more; null if never. */
  timeUntilContainedMs: number | null;
  /** Simulated ms from the platform's first halt (Faulted) on a bad version until it was contained; null if either never happened. */
  faultToContainedMs: number | null;
}

/** Instances per version (per label: the version, with its image when there are several) in each region, at the simulated times the counts changed (a rollout's picture). */
export interface FleetTimeline {
  start: number;
  regions: string[];
  points: { at: number; counts: Record<string, Record<string, number>> }[];
}

export class FleetWatch {
  private readonly points: FleetTimeline['points'] = [];
  /** Where and when the platform halted a rolling upgrade to a bad version, once per scale set. */
  readonly halts = new Map<string, { at: number; region: string }>();
  private lastCounts = '';
  private readonly everBad = new Set<number>();
  private readonly badRegions = new Set<string>();
  private firstBadAt: number | undefined;
  private containedAt: number | undefined;
  /** When the platform first halted a rolling upgrade to a bad version (the rolling upgrade's end time). */
  private firstFaultAt: number | undefined;
  /** Per release (`releaseKey`): the most instances ever seen on it outside the regions the release had opened. */
  readonly outsideOpen = new Map<string, number>();
  /** Per release: instances that ever ran it. */
  private readonly everOn = new Map<string, Set<number>>();
  private readonly bad: ReadonlySet<string>;
  /** Per scale set: its number in the fleet, its image, each instance's version at the last sample, and the count per version. */
  private readonly seen = new WeakMap<ScaleSet, { base: number; image: string; versions: string[]; counts: Map<string, number> }>();
  private readonly keys = new Map<string, { release: string; label: string }>();

  constructor(
    private readonly sim: Simulator,
    /** Releases (`releaseKey`) the fleet's health model makes bad. */
    bad: readonly string[],
    /** How a version appears in the timeline's counts (default: its name). */
    private readonly label: (image: string, version: string) => string = (_image, version) => version,
  ) {
    this.bad = new Set(bad);
  }

  /** `openRegions(release)` says which regions a release (`releaseKey`) had opened (undefined: no controller). */
  sample(openRegions?: (release: string) => Set<string> | undefined): void {
    const now = this.sim.clock.now().getTime();
    const outside = new Map<string, number>();
    const open = new Map<string, Set<string> | undefined>();
    const openFor = (release: string) => {
      if (!open.has(release)) open.set(release, openRegions?.(release));
      return open.get(release);
    };
    const counts: Record<string, Record<string, number>> = {};
    let setIndex = 0;
    for (const set of this.sim.fleet.scaleSets.values()) {
      const region = (counts[set.location] ??= {});
      const image = imageNameOf(set.imageId);
      const ru = set.rolling;
      if (ru?.code === 'Faulted' && ru.endTime !== undefined && this.bad.has(releaseKey(image, ru.targetVersion))) {
        this.firstFaultAt = Math.min(this.firstFaultAt ?? Infinity, ru.endTime);
        if (!this.halts.has(set.name)) this.halts.set(set.name, { at: ru.endTime, region: set.location });
      }
      for (const [version, n] of this.versionsOf(set, setIndex++ * 100_000, image)) {
        if (n === 0) continue;
        const k = this.keyOf(image, version);
        region[k.label] = (region[k.label] ?? 0) + n;
        if (this.bad.has(k.release)) {
          this.badRegions.add(set.location);
          this.firstBadAt ??= now;
        }
        const regions = openFor(k.release);
        if (regions && !regions.has(set.location)) outside.set(k.release, (outside.get(k.release) ?? 0) + n);
      }
    }
    const text = JSON.stringify(counts);
    if (text !== this.lastCounts) {
      this.lastCounts = text;
      this.points.push({ at: now, counts });
    }
    for (const [v, n] of outside) this.outsideOpen.set(v, Math.max(this.outsideOpen.get(v) ?? 0, n));
    if (this.firstBadAt !== undefined && this.containedAt === undefined && this.badContained()) this.containedAt = now;
  }

  /**
   * Instances per version of `set`, kept from sample to sample: only an instance whose version changed since the last
   * sample is noted as having run its version (every one the first time, or when the set's number `base` or its image
   * changed) — a 120,000-instance fleet is compared, not re-counted, at every step. Instances are numbered by (scale
   * set, index): the same every sample, no string per instance.
   */
  private versionsOf(set: ScaleSet, base: number, image: string): Map<string, number> {
    let seen = this.seen.get(set);
    if (!seen || seen.base !== base || seen.image !== image) this.seen.set(set, (seen = { base, image, versions: [], counts: new Map() }));
    const { versions, counts } = seen;
    const instances = set.instances;
    for (let i = 0; i < instances.length; i++) {
      const version = instances[i]!.version;
      const was = versions[i];
      if (version === was) continue;
      if (was !== undefined) counts.set(was, counts.get(was)! - 1);
      counts.set(version, (counts.get(version) ?? 0) + 1);
      versions[i] = version;
      const { release } = this.keyOf(image, version);
      let on = this.everOn.get(release);
      if (!on) this.everOn.set(release, (on = new Set()));
      on.add(base + i);
      if (this.bad.has(release)) this.everBad.add(base + i);
    }
    for (let i = instances.length; i < versions.length; i++) counts.set(versions[i]!, counts.get(versions[i]!)! - 1);
    versions.length = instances.length;
    return counts;
  }

  private keyOf(image: string, version: string): { release: string; label: string } {
    const id = `${image}\u0000${version}`;
    let k = this.keys.get(id);
    if (!k) this.keys.set(id, (k = { release: releaseKey(image, version), label: this.label(image, version) }));
    return k;
  }

  /** Between samples (at the moment an event was delivered and handled): notes containment at its own time. */
  checkContained(): void {
    if (this.firstBadAt !== undefined && this.containedAt === undefined && this.badContained()) this.containedAt = this.sim.clock.now().getTime();
  }

  timeline(): FleetTimeline {
    const regions = new Set([...this.sim.fleet.scaleSets.values()].map((s) => s.location));
    return { start: this.sim.sim.startTime, regions: [...regions], points: this.points };
  }

  /** Instances that ever ran the release (`releaseKey`). */
  instancesEverOn(release: string): number {
    return this.everOn.get(release)?.size ?? 0;
  }

  figures(): FleetFigures {
    return {
      instancesOnBadVersion: this.everBad.size,
      regionsAffected: [...this.badRegions].sort(),
      timeUntilContainedMs: this.firstBadAt !== undefined && this.containedAt !== undefined ? this.containedAt - this.firstBadAt : null,
      faultToContainedMs: this.firstFaultAt !== undefined && this.containedAt !== undefined ? Math.max(0, this.containedAt - this.firstFaultAt) : null,
    };
  }

  /** No region can take a bad version: each is demoted, or excluded (or not replicated) everywhere. */
  private badContained(): boolean {
    for (const image of this.sim.fleet.gallery.images.values()) {
      for (const v of image.versions.values()) {
        if (!this.bad.has(releaseKey(image.name, v.name)) || v.excludeFromLatest) continue;
        if (v.targetRegions.some((r) => r.excludeFromLatest !== true)) return false;
      }
    }
    return true;
  }
}
