/**
 * Cold start of the bundled Functions app: the size of dist/index.js (and its source map) and the time a fresh
 * node process takes to load it — require() of the bundle with a stand-in for the host's @azure/functions-core
 * (the same trick as src/local/functions-core-standin.ts), until every function is registered. Measured inside
 * the child from just before require() to just after, and also as the child's whole process lifetime.
 * Figures only; the Flex Consumption host adds its own start-up on top.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CHILD = String.raw`
const Module = require('node:module');
const registered = [];
const standIn = { version: '4.0.0-bench', registerFunction(m) { registered.push(m.name); return { dispose() {} }; },
  setProgrammingModel() {}, getProgrammingModel() {}, registerHook() { return { dispose() {} }; }, log() {}, hostVersion: '4.0.0', app: {} };
const virtualPath = '/__bench__/@azure/functions-core.js';
const mod = new Module(virtualPath); mod.exports = standIn; mod.loaded = true; Module._cache[virtualPath] = mod;
const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === '@azure/functions-core' ? virtualPath : original.call(this, request, ...rest); };
const t0 = performance.now();
require(process.argv[1]);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, sinceProcessStartMs: performance.now(), functions: registered.length, rssMiB: process.memoryUsage().rss / 1048576 }));
`;

export function benchColdStart(): Record<string, number | string> {
  const entry = join(process.cwd(), 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error('dist/index.js is missing: run node scripts/build.mjs first');
  const runs = Number(process.env.RINGMASTER_COLDSTART_RUNS ?? 15);
  const load: number[] = [];
  const whole: number[] = [];
  const sinceStart: number[] = [];
  let functions = 0;
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = spawnSync(process.execPath, ['-e', CHILD, entry], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const elapsed = performance.now() - started;
    if (r.status !== 0) throw new Error(`loading dist/index.js failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout) as { loadMs: number; sinceProcessStartMs: number; functions: number; rssMiB: number };
    load.push(m.loadMs);
    sinceStart.push(m.sinceProcessStartMs);
    whole.push(elapsed);
    functions = m.functions;
    rss = Math.max(rss, m.rssMiB);
  }
  const q = (xs: number[], p: number) => Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! * 10) / 10;
  const size = statSync(entry).size;
  const map = existsSync(`${entry}.map`) ? statSync(`${entry}.map`).size : 0;
  return {
    'coldstart.bundle.bytes': size,
    'coldstart.bundle.MiB': Math.round((size / 2 ** 20) * 100) / 100,
    'coldstart.sourcemap.MiB': Math.round((map / 2 ** 20) * 100) / 100,
    'coldstart.functions_registered': functions,
    'coldstart.runs': runs,
    'coldstart.require.p50_ms': q(load, 0.5),
    'coldstart.require.max_ms': q(load, 1),
    'coldstart.process_start_to_loaded.p50_ms': q(sinceStart, 0.5),
    'coldstart.spawn_to_exit.p50_ms': q(whole, 0.5),
    'coldstart.rss_after_load_MiB': Math.round(rss),
    'coldstart.goal': 'require.p50 < 300 ms',
  };
}
