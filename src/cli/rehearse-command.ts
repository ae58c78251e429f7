/** `ringmaster rehearse` — placeholder until the local runtime exists. */
export function runRehearseCommand(): number {
  console.error('ringmaster rehearse: not built yet. The rehearsal needs the local runtime and the Functions app; see README.md "What exists today".');
  return 1;
}
