/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results.json.
 * Benchmarks print figures; they assert nothing about time (the machines are shared and noisy).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchAdapters } from './azure-bench';
import { benchColdStart } from './coldstart-bench';
import { benchEngine } from './engine-bench';
import { benchGate, benchReaction } from './reaction-bench';
import { benchBlastRadius, benchLibrary, benchScale, benchSeeds } from './rehearsal-bench';
import { benchSimulator } from './sim-bench';

/** `optIn`: run only when named (`node dist/bench.js NAME`), not by `npm run bench`. */
type Bench = { name: string; optIn?: boolean; run: () => Promise<Record<string, number | string>> | Record<string, number | string> };

const BENCHES: Bench[] = [
  { name: 'engine', run: benchEngine },
  { name: 'simulator', run: benchSimulator },
  { name: 'adapters', run: benchAdapters },
  { name: 'reaction', run: benchReaction },
  { name: 'gate', run: benchGate },
  { name: 'blast', run: benchBlastRadius },
  { name: 'seeds', run: benchSeeds },
  { name: 'coldstart', run: benchColdStart },
  { name: 'scale', run: benchScale },
  { name: 'library', optIn: true, run: benchLibrary },
];

async function main(): Promise<void> {
  const only = process.argv[2];
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'} (${arch()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`ringmaster benchmarks — ${machine}\n`);
  const results: Record<string, number | string> = {};
  for (const b of BENCHES) {
    if (only ? b.name !== only : b.optIn) continue;
    const started = performance.now();
    try {
      const figures = await b.run();
      Object.assign(results, figures);
      for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(48)} ${v}`);
    } catch (err) {
      results[`${b.name}.error`] = err instanceof Error ? err.message : String(err);
      console.log(`${`${b.name}.error`.padEnd(48)} ${results[`${b.name}.error`]}`);
    }
    console.log(`${`${b.name}.wall.ms`.padEnd(48)} ${Math.round(performance.now() - started)}\n`);
  }
  const file = join(process.cwd(), 'bench/results.json');
  // `node dist/bench.js NAME` runs one benchmark and updates its figures in place, keeping the others.
  const previous = only && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { results?: Record<string, number | string> }).results ?? {} : {};
  const merged = only ? { ...Object.fromEntries(Object.entries(previous).filter(([k]) => !k.startsWith(`${only}.`))), ...results } : results;
  writeFileSync(file, `${JSON.stringify({ machine, at: new Date().toISOString(), results: merged }, null, 2)}\n`);
  console.log('written bench/results.json');
}

void main();
