import { ExitCode, InterruptedError, UnstickError } from '../errors.js';
import type { Context } from './context.js';

/**
 * The one place errors become exit codes and messages: one line on stderr (plus a hint line when
 * the error has one), the stack only with --debug.
 */
export function reportError(ctx: Context, err: unknown): number {
  const red = ctx.color.err.red;
  if (err instanceof InterruptedError || isPromptExit(err)) {
    ctx.stderr.write('interrupted\n');
    return ExitCode.interrupted;
  }
  if (err instanceof UnstickError) {
    ctx.stderr.write(`${red('error:')} ${err.message}\n`);
    if (err.hint) ctx.stderr.write(`${ctx.color.err.dim('hint:')} ${err.hint}\n`);
    if (ctx.debug && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(`${red('internal error:')} ${message}\n`);
  if (ctx.debug && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
  else ctx.stderr.write('This is a bug in unstick. Run again with --debug for the stack trace and report it.\n');
  return ExitCode.internal;
}

/** Inquirer's Ctrl+C (ExitPromptError) and abort errors, recognised by name to avoid importing inquirer here. */
function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}
