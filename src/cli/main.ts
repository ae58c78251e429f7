/** The `ringmaster` command line. Each command lives in its own module; this file only dispatches. */
import { runPlanCommand } from './plan-command';

const HELP = `ringmaster — releases Azure Compute Gallery image versions ring by ring, and demotes bad ones.

Usage: ringmaster COMMAND [options]   (every command takes --help)

Commands:
  rehearse        rehearse a release end to end against the embedded fleet simulator (npm start)
  plan validate   check a release plan file and summarise its rings
  preflight       check a plan's scale sets for what stops automatic OS upgrade
  sim             run the Azure fleet simulator on loopback
  serve           run the Functions app locally (Event Grid webhooks, HTTP API, timers, orchestrations)
  releases        list releases of a running app;  release show|pause|resume|approve|promote|abort|demote ID

Docs: README.md, docs/operator-guide.md, docs/plan-reference.md
`;

type Command = (argv: string[]) => number | Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  plan: async () => runPlanCommand,
  rehearse: async () => (await import('./rehearse-command')).runRehearseCommand,
  serve: async () => (await import('./serve-command')).runServeCommand,
  releases: async () => (await import('./release-command')).runReleasesCommand,
  release: async () => (await import('./release-command')).runReleaseCommand,
  preflight: async () => (await import('./preflight-command')).runPreflightCommand,
  sim: async () => (await import('../sim/cli')).runSimCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`ringmaster: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`ringmaster: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
