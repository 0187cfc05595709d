import { readFileSync } from 'node:fs';

/** Wrong usage or unreadable input: the CLI prints the message (no stack) and exits 2. */
export class UsageError extends Error {}

/** Reads and parses a JSON file; a UsageError naming the file otherwise. */
export function readJsonFile(file: string, what = 'input'): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
