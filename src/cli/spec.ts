import type { Context } from './context.js';

/**
 * Command specs: what a command accepts, declared beside the command in `commands/<name>.spec.ts`
 * (vercel's `command.ts`), so main.ts only wires them and the command module loads only when it runs.
 *
 * Options and arguments are values (`option()`, `flag()`, `argument()`), and a spec's `parse` reads
 * them back by that same value, typed: renaming a flag renames nothing else, and reading an option
 * the spec does not declare fails loudly (a bug, exit 70) instead of arriving as undefined.
 */

declare const VALUE: unique symbol;

export interface OptionSpec<V = unknown> {
  /** Commander flags: `--dry-run`, `--connection <name|id>`. */
  readonly flags: string;
  readonly description: string;
  readonly kind: 'flag' | 'value';
  readonly default?: string;
  /** Allowed values; anything else is a usage error (64) before the command runs. */
  readonly choices?: readonly string[];
  /** Options that cannot be given together with this one, by attribute name (`csv` for --csv). */
  readonly conflicts?: readonly string[];
  /** Type only: what `parse` reads back for this option. */
  readonly [VALUE]?: V;
}

export interface ArgumentSpec<V = unknown> {
  /** Commander syntax: `<email>`, `<emails...>`, `[file]`. */
  readonly name: string;
  readonly description: string;
  readonly [VALUE]?: V;
}

type ArgumentValue<N extends string> = N extends `${string}...${string}` ? string[] : N extends `<${string}>` ? string : string | undefined;

/** A boolean switch: true when given, else false. */
export function flag(flags: string, description: string, extra: { conflicts?: readonly string[] } = {}): OptionSpec<boolean> {
  return { flags, description, kind: 'flag', ...extra };
}

/** An option taking a value; with a `default` it is always a string. */
export function option(flags: string, description: string, extra: { default: string; conflicts?: readonly string[] }): OptionSpec<string>;
export function option(flags: string, description: string, extra?: { conflicts?: readonly string[] }): OptionSpec<string | undefined>;
export function option(flags: string, description: string, extra: { default?: string; conflicts?: readonly string[] } = {}): OptionSpec<string | undefined> {
  return { flags, description, kind: 'value', ...extra };
}

/** An option whose value is one of `choices` (commander rejects any other with 64). */
export function choice<const T extends string>(flags: string, description: string, choices: readonly T[], extra: { default: T; conflicts?: readonly string[] }): OptionSpec<T>;
export function choice<const T extends string>(flags: string, description: string, choices: readonly T[], extra?: { conflicts?: readonly string[] }): OptionSpec<T | undefined>;
export function choice<const T extends string>(
  flags: string,
  description: string,
  choices: readonly T[],
  extra: { default?: T; conflicts?: readonly string[] } = {},
): OptionSpec<T | undefined> {
  return { flags, description, kind: 'value', choices, ...extra };
}

/** A positional argument: `<x>` is a string, `[x]` string | undefined, `<x...>`/`[x...]` string[]. */
export function argument<const N extends string>(name: N, description: string): ArgumentSpec<ArgumentValue<N>> {
  return { name, description };
}

/** What a spec's `parse` reads the command line through. */
export interface Parsed {
  get<V>(spec: OptionSpec<V> | ArgumentSpec<V>): V;
}

export type CommandRun<A> = (ctx: Context, args: A) => Promise<number>;

export interface CommandSpec<A> {
  name: string;
  description: string;
  arguments?: readonly ArgumentSpec[];
  options: readonly OptionSpec[];
  /** Shown after the options in `--help` (examples, output shape). */
  help?: string;
  /** The command line, typed: read every argument and option through `input`. May throw UsageError. */
  parse(input: Parsed): A;
  /** The command itself, imported only when it runs: `async () => (await import('./x.js')).x`. */
  load(): Promise<CommandRun<A>>;
}

/** A spec as main.ts wires it, its args type erased: `invoke` parses, then loads and runs the command. */
export interface CommandEntry extends Omit<CommandSpec<unknown>, 'parse' | 'load'> {
  invoke(ctx: Context, input: Parsed): Promise<number>;
}

/**
 * `export const repairSpec = defineCommand<RepairArgs>({ ... })`: types `parse` and `load` together
 * and adds `invoke`, which parses first (a usage error never loads the command's module), then loads.
 */
export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> & CommandEntry {
  return {
    ...spec,
    async invoke(ctx, input) {
      const args = spec.parse(input);
      const command = await spec.load();
      return command(ctx, args);
    },
  };
}

/**
 * `--name` or `--name <value>`: one long flag and a required value or none, the shape of nearly
 * every option (commander reads `--name` as its long flag). Group 1 is the name, group 2 the value.
 */
export const LONG_OPTION = /^--([^\s,|-][^\s,|]*)(?: (<[^<>[\]]+>))?$/;

/** The short and long flag of `--connection <name|id>` or `-y, --yes`, split as commander splits them. */
function splitFlags(flags: string): { short: string | undefined; long: string | undefined } {
  const isShort = (f: string | undefined) => f !== undefined && /^-[^-]$/.test(f);
  const isLong = (f: string | undefined) => f !== undefined && /^--[^-]/.test(f);
  const parts = flags.split(/[ |,]+/);
  let short: string | undefined;
  let long: string | undefined;
  if (isShort(parts[0])) short = parts.shift();
  if (isLong(parts[0])) long = parts.shift();
  if (!short && isShort(parts[0])) short = parts.shift();
  if (!short && isLong(parts[0])) {
    short = long;
    long = parts.shift();
  }
  return { short, long };
}

/**
 * The key commander stores an option's value under (its `attributeName()`): the long flag without
 * `--` (and without `no-`), camel-cased: `--state-dir <dir>` -> `stateDir`. Computed here, so that
 * reading a spec never loads commander (test/cli/quick-parse.test.ts checks it against commander).
 */
export function attributeName(flags: string): string {
  let name = LONG_OPTION.exec(flags)?.[1];
  if (name === undefined) {
    const { short, long } = splitFlags(flags);
    name = long ? long.slice(2) : (short ?? flags).replace(/^-/, '');
  }
  return name
    .replace(/^no-/, '')
    .split('-')
    .reduce((out, word) => out + word.charAt(0).toUpperCase() + word.slice(1));
}

/**
 * Reads commander's result for `spec`: `positionals` are `command.processedArgs`, `values` are
 * `command.opts()`. Only what the spec declares can be read, and each value is checked against its
 * declared kind; a mismatch is a bug in unstick, so it throws a plain Error (exit 70, with --debug).
 */
export function parsedFor(spec: Pick<CommandEntry, 'name' | 'arguments' | 'options'>, positionals: readonly unknown[], values: Readonly<Record<string, unknown>>): Parsed {
  const bug = (what: string) => new Error(`unstick bug: "${spec.name}" ${what}`);
  const readOption = (wanted: OptionSpec): unknown => {
    const declared = spec.options.find((o) => o.flags === wanted.flags);
    if (!declared) throw bug(`reads option ${wanted.flags}, which its spec does not declare`);
    const value = values[attributeName(declared.flags)];
    if (declared.kind === 'flag') {
      if (value !== undefined && typeof value !== 'boolean') throw bug(`got ${typeof value} for the switch ${declared.flags}`);
      return value === true;
    }
    if (value !== undefined && typeof value !== 'string') throw bug(`got ${typeof value} for ${declared.flags}`);
    if (value !== undefined && declared.choices && !declared.choices.includes(value)) throw bug(`got "${value}" for ${declared.flags}`);
    return value;
  };
  const readArgument = (wanted: ArgumentSpec): unknown => {
    const index = (spec.arguments ?? []).findIndex((a) => a.name === wanted.name);
    if (index === -1) throw bug(`reads argument ${wanted.name}, which its spec does not declare`);
    const value = positionals[index];
    const variadic = wanted.name.includes('...');
    if (variadic ? !Array.isArray(value) && value !== undefined : value !== undefined && typeof value !== 'string') {
      throw bug(`got ${typeof value} for the argument ${wanted.name}`);
    }
    return variadic ? (value ?? []) : value;
  };
  return {
    get<V>(wanted: OptionSpec<V> | ArgumentSpec<V>): V {
      return ('flags' in wanted ? readOption(wanted) : readArgument(wanted)) as V;
    },
  };
}
