/** How a bench starts a TypeScript child process: compiled like dist/, through bench/lib/compiled.mjs. */
import { fileURLToPath } from 'node:url';

export const compiledLoader = fileURLToPath(new URL('./compiled.mjs', import.meta.url));

/** Node's arguments to run `file` (a .ts path) as the benches run themselves. */
export const tsNodeArgs = (file: string, ...rest: string[]): string[] => ['--import', compiledLoader, file, ...rest];
