/** Shared entry point of the bench files. */
import { pathToFileURL } from 'node:url';

/**
 * When the calling module is the process's main file (run as
 * `node --import tsx <file>`, as test/bench/run.ts does), call `run` and print
 * its figures as one JSON line; exit 1 on error. Usage at the end of a bench
 * file: `runIfMain(import.meta.url, run);`
 */
export function runIfMain(moduleUrl: string, run: () => Promise<Record<string, unknown>>): void {
  const main = process.argv[1];
  if (main === undefined || moduleUrl !== pathToFileURL(main).href) return;
  run().then(
    (r) => console.log(JSON.stringify(r)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
