import { Writable, type Readable } from 'node:stream';
import type { ChalkInstance } from 'chalk';

/**
 * Questions a command may ask. `ctx.prompt` is this interface, so a test can pass its own; the
 * default asks with real inquirer prompts on the context's streams (see createPrompter).
 *
 * Only ask when `ctx.canPrompt`; for a yes/no before a change use `requireConfirmation` (confirm.ts),
 * which also handles `--yes` and the no-terminal case.
 */
export interface Prompter {
  /** Yes or no. Enter alone answers No unless `default: true`: a repair tool must not default to "go". */
  confirm(message: string, options?: { default?: boolean }): Promise<boolean>;
  /** One of `choices` (arrow keys, then Enter); the highlighted choice starts at `default`, else the first. */
  select<T extends string>(
    message: string,
    choices: ReadonlyArray<{ value: T; name: string; description?: string }>,
    options?: { default?: T },
  ): Promise<T>;
  /** A line of text; `validate` returns true or the message to show, and the question is asked again. */
  input(message: string, options?: { default?: string; validate?: (value: string) => true | string }): Promise<string>;
}

export interface PromptStreams {
  /** Keystrokes come from here (a terminal: raw mode is switched on while a prompt is open). */
  input: Readable;
  /** The prompt is drawn here: stderr, so stdout (and --json) carry only results. */
  output: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  /** Aborting closes an open prompt with inquirer's AbortPromptError, which the boundary answers with 130. */
  signal: AbortSignal;
  /** Styles for the prompt, so NO_COLOR and --no-color hold there too. */
  color: ChalkInstance;
}

/**
 * The default Prompter: @inquirer/prompts, loaded on the first question (start-up time counts), each
 * call given inquirer's context `{ input, output, signal }`. Ctrl+C in a prompt rejects with
 * ExitPromptError and an aborted signal with AbortPromptError; src/cli/boundary.ts maps both to 130.
 */
export function createPrompter(streams: PromptStreams): Prompter {
  const load = () => import('@inquirer/prompts');
  // A fresh view of the output per prompt: inquirer ends the stream it was given when the prompt
  // closes, and the real output must outlive it (later prompts, the command's own lines).
  const context = () => ({ input: streams.input, output: unending(streams.output), signal: streams.signal });
  const theme = promptTheme(streams.color);
  return {
    async confirm(message, options = {}) {
      const { confirm } = await load();
      return confirm({ message, default: options.default ?? false, theme }, context());
    },
    async select(message, choices, options = {}) {
      const { select } = await load();
      const config = { message, choices, theme, ...(options.default === undefined ? {} : { default: options.default }) };
      return select(config, context());
    },
    async input(message, options = {}) {
      const { input } = await load();
      const { default: initial, validate } = options;
      return input({ message, theme, ...(initial === undefined ? {} : { default: initial }), ...(validate ? { validate } : {}) }, context());
    },
  };
}

/** Writes through to `target` and reports its terminal size, but never ends it. */
function unending(target: PromptStreams['output']): Writable {
  const view = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      target.write(chunk, (err) => callback(err ?? null));
    },
  });
  Object.defineProperties(view, {
    isTTY: { get: () => target.isTTY },
    columns: { get: () => target.columns },
    rows: { get: () => target.rows },
  });
  return view;
}

/** Inquirer's look, drawn with the context's chalk instead of inquirer's own color detection. */
function promptTheme(c: ChalkInstance) {
  return {
    prefix: { idle: c.blue('?'), done: c.green('✔') },
    style: {
      answer: (text: string) => c.cyan(text),
      message: (text: string) => c.bold(text),
      error: (text: string) => c.red(`> ${text}`),
      defaultAnswer: (text: string) => c.dim(`(${text})`),
      help: (text: string) => c.dim(text),
      highlight: (text: string) => c.cyan(text),
      key: (text: string) => c.cyan(c.bold(`<${text}>`)),
      description: (text: string) => c.cyan(text),
      disabled: (text: string) => c.dim(`- ${text}`),
      keysHelpTip: (keys: [key: string, action: string][]) => keys.map(([key, action]) => `${c.bold(key)} ${c.dim(action)}`).join(c.dim(' • ')),
    },
  };
}
