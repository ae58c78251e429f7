// Bundles the Functions app (dist/index.js), the CLI (dist/cli.js) and the benchmarks (dist/bench.js) with esbuild.
import { build } from 'esbuild';

const quiet = process.argv.includes('--quiet');
const started = Date.now();
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Packages with native or optional parts stay external; they are installed beside the bundle.
  external: ['azurite', 'playwright-core', '@azure/functions-core'],
};
await build({ ...common, entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts', bench: 'bench/main.ts' }, outdir: 'dist' });
if (!quiet) console.log(`built dist/ in ${Date.now() - started} ms`);
