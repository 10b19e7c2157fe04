import { UsageError } from '../errors.js';
import type { Context } from './context.js';

/**
 * The gate before a change. Call it before anything is changed, and change nothing unless it
 * returns true:
 *
 * - `yes` (the --yes flag): true without asking;
 * - no terminal to ask on (`!ctx.canPrompt`): throws UsageError (exit 64) naming --yes, so a script
 *   or CI job fails at once instead of hanging on a question nobody sees;
 * - otherwise asks `message` (default: "Continue with <what>?", Enter alone answers No) and
 *   returns the answer. Ctrl+C or an abort rejects, and the boundary answers 130.
 *
 * `what` names the change for both texts, e.g. "the repair of jane@acme.com".
 */
export async function requireConfirmation(
  ctx: Pick<Context, 'canPrompt' | 'prompt' | 'stdin'>,
  yes: boolean | undefined,
  what: string,
  options: { message?: string } = {},
): Promise<boolean> {
  if (yes === true) return true;
  if (!ctx.canPrompt) {
    // canPrompt needs both stdin and stderr to be terminals; name the one that is not.
    const where = ctx.stdin.isTTY === true ? 'stderr is not a terminal (prompts are drawn there)' : 'stdin is not a terminal';
    throw new UsageError(`${what} needs confirmation: pass --yes when ${where}`);
  }
  return ctx.prompt.confirm(options.message ?? `Continue with ${what}?`, { default: false });
}
