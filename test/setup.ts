/** Every property test is seeded, so CI is deterministic (a failure prints its seed and path to replay it). */
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.RINGMASTER_FC_SEED ?? 20261125) });
