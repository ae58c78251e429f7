// `ringmaster sim`: starts the fleet simulator on loopback and prints one ready line.
import { resolve } from 'node:path';
import { SpecError } from './fleet-spec';
import { startSimulator, type StartOptions } from './index';

export const SIM_HELP = `Usage: ringmaster sim [options]

Runs the Azure fleet simulator: ARM (Compute Gallery, scale sets, Resource Graph, Image Builder) and Event Grid
over HTTPS on 127.0.0.1, on a virtual clock.

Options:
  --port N          port to listen on (default 0: a free port)
  --fleet FILE      fleet file, YAML or JSON (default: examples/fleets/payments.yaml)
  --scenario FILE   scenario file (health rules, behaviour, timeline) applied on top of the fleet
  --speed N         virtual seconds per real second (default 1)
  --seed S          seed for every random choice (default: the fleet's seed, else 1)
  --state-dir DIR   where the certificate is written (default: a new temporary directory)
  --host H          must be 127.0.0.1 or localhost: the simulator binds loopback only
  -h, --help        show this help

When ready it prints: ringmaster sim listening on https://127.0.0.1:PORT (ca: PATH)
Admin API: https://127.0.0.1:PORT/_sim/ (see docs/simulator.md).`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function runSimCommand(argv: string[], io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  const opts: StartOptions = {};
  let fleet: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new SpecError(`${flag} needs a value`);
      return v;
    };
    const num = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n < min) throw new SpecError(`${flag} must be a number >= ${min}, got "${v}"`);
      return n;
    };
    try {
      switch (flag) {
        case '-h':
        case '--help':
          io.out(SIM_HELP);
          return 0;
        case '--port': {
          const p = num(0);
          if (!Number.isInteger(p) || p > 65535) throw new SpecError(`--port must be an integer 0-65535`);
          opts.port = p;
          break;
        }
        case '--fleet':
          fleet = resolve(value());
          break;
        case '--scenario':
          opts.scenario = resolve(value());
          break;
        case '--speed':
          opts.speed = num(0);
          break;
        case '--seed':
          opts.seed = Math.trunc(num(Number.MIN_SAFE_INTEGER));
          break;
        case '--state-dir':
          opts.stateDir = resolve(value());
          break;
        case '--host': {
          const h = value();
          if (h !== '127.0.0.1' && h !== 'localhost') throw new SpecError(`refusing to bind ${h}: ringmaster sim listens on loopback (127.0.0.1) only`);
          break;
        }
        default:
          throw new SpecError(`unknown option ${a} (see ringmaster sim --help)`);
      }
    } catch (e) {
      io.err(`ringmaster sim: ${(e as Error).message}`);
      return 2;
    }
  }
  opts.fleet = fleet ?? resolve('examples/fleets/payments.yaml');
  try {
    const sim = await startSimulator(opts);
    io.out(`ringmaster sim listening on ${sim.url} (ca: ${sim.caPath})`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void sim.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  } catch (e) {
    io.err(`ringmaster sim: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
