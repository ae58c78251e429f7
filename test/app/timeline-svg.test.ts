/** The rollout picture: bands per region and version whose shares follow the counts, markers where they happened. */
import { describe, expect, it } from 'vitest';
import { renderTimeline, type VersionTimeline } from '../../src/app/timeline-svg';

const H = 3_600_000;
const t: VersionTimeline = {
  start: 0,
  regions: ['eastus', 'westus3'],
  points: [
    { at: 0, counts: { eastus: { '1.6.4': 20 }, westus3: { '1.6.4': 20 } } },
    { at: 1 * H, counts: { eastus: { '1.6.4': 18, '1.7.0': 2 }, westus3: { '1.6.4': 20 } } },
    { at: 2 * H, counts: { eastus: { '1.6.4': 20 }, westus3: { '1.6.4': 20 } } },
  ],
};

const band = (svg: string, region: string, version: string) => new RegExp(`data-region="${region}" data-version="${version.replace(/\./g, '\\.')}" data-max-share="([\\d.]+)" data-final-share="([\\d.]+)"`).exec(svg);

describe('renderTimeline', () => {
  it('draws each version a region ran with its largest and final share', () => {
    const svg = renderTimeline(t, { title: 'with Ringmaster', end: 3 * H, markers: [{ at: 1 * H, region: 'eastus', kind: 'demoted', label: '1.7.0 demoted' }] });
    expect(band(svg, 'eastus', '1.7.0')?.slice(1)).toEqual(['0.1', '0']);
    expect(band(svg, 'eastus', '1.6.4')?.slice(1)).toEqual(['1', '1']);
    expect(band(svg, 'westus3', '1.7.0')).toBeNull(); // westus3 never ran it: no band
    expect(svg).toContain('data-kind="demoted"');
    expect(svg).toContain('+2 h');
    expect(svg).not.toMatch(/<script|href=|https?:\/\//);
  });

  it('labels a long span (a live release held for days) in days, a handful of labels', () => {
    const svg = renderTimeline(t, { title: 'held', end: 10 * 24 * H });
    expect(svg.match(/>\+[^<]*</g)).toEqual(['>+0 d<', '>+2 d<', '>+4 d<', '>+6 d<', '>+8 d<', '>+10 d<']);
  });

  it('escapes names and keeps regions in the order asked for', () => {
    const svg = renderTimeline({ ...t, regions: ['eastus', 'westus3'] }, { title: '<b>x</b>', end: 3 * H, regions: ['westus3', 'eastus'] });
    expect(svg).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(svg.indexOf('data-region="westus3"')).toBeLessThan(svg.indexOf('data-region="eastus"'));
  });
});
