import { InputError } from '../common/errors.ts';

/** Exit code for an error: 2 for bad input (InputError or anything tagged exitCode 2), else 1. */
export function exitCodeFor(err: unknown): 1 | 2 {
  return err instanceof InputError || (err as { exitCode?: number })?.exitCode === 2 ? 2 : 1;
}

/** What the CLI prints for an error: the message; a stack trace only for internal errors under --debug. */
export function formatError(err: unknown, debug: boolean): string {
  const e = err as Error;
  if (exitCodeFor(err) === 2) return `mei-sim: ${e.message}\n`;
  const head = `mei-sim: internal error: ${e?.message ?? String(err)}\n`;
  return debug ? `${head}${e?.stack ?? ''}\n` : `${head}(run again with --debug for the stack trace)\n`;
}
