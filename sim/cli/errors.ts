import { InputError } from '../common/errors.ts';

/**
 * File-system errors on a path the user named (an --out folder that cannot be created, a file
 * where a folder is needed, no permission): bad input, exit 2, not an internal error.
 */
const PATH_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, expected a file',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

type FsError = NodeJS.ErrnoException & { dest?: string };

function pathError(err: unknown): FsError | undefined {
  const e = err as FsError;
  return e !== null && typeof e === 'object' && typeof e.code === 'string' && e.code in PATH_ERRORS && typeof e.path === 'string' ? e : undefined;
}

/** Exit code for an error: 2 for bad input (InputError, anything tagged exitCode 2, a file-system error on a path), else 1. */
export function exitCodeFor(err: unknown): 1 | 2 {
  return err instanceof InputError || (err as { exitCode?: number })?.exitCode === 2 || pathError(err) !== undefined ? 2 : 1;
}

/** What the CLI prints for an error: the message; a stack trace only for internal errors under --debug. */
export function formatError(err: unknown, debug: boolean): string {
  const e = err as Error;
  const p = pathError(err);
  if (p !== undefined) return `mei-sim: cannot ${p.syscall ?? 'use'} ${p.path}${p.dest ? ` -> ${p.dest}` : ''}: ${PATH_ERRORS[p.code!]} (${p.code})\n`;
  if (exitCodeFor(err) === 2) return `mei-sim: ${e.message}\n`;
  const head = `mei-sim: internal error: ${e?.message ?? String(err)}\n`;
  return debug ? `${head}${e?.stack ?? ''}\n` : `${head}(run again with --debug for the stack trace)\n`;
}
