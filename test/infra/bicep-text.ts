/** Paths of the Bicep in infra/ and its text, for the few checks that read a file as written (the rest compile it). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(__dirname, '../..');
export const infra = join(root, 'infra');

export function bicep(file: string): string {
  return readFileSync(join(infra, file), 'utf8');
}
