import { flag, option } from './spec.js';

/**
 * Options several commands share, declared once. A command lists them in its spec as they are, or
 * with its own wording (`{ ...connectionOption, description: '…' }`, vercel's `{ ...yesOption }`):
 * the flags stay the same, so `parse` reads them back with `input.get(connectionOption)` either way.
 */

/** The database connection, by name or `con_` id. */
export const connectionOption = option('--connection <name|id>', 'the database connection, by name or con_ id');

/** Confirms in advance: no question is asked, and without a terminal it is the only way to go ahead (see requireConfirmation). */
export const yesOption = flag('--yes', 'skip confirmation (required when stdin is not a terminal)');

/** Machine output: one JSON document on stdout, nothing else there (prompts and notes go to stderr). */
export const jsonOption = flag('--json', 'one JSON document on stdout');

/** The local folder of earlier runs: journals, backups, verify results. One per tenant, shared by every command. */
export const stateDirOption = option('--state-dir <dir>', 'the folder of journals, backups and results (shared by every command)', { default: 'unstick-state' });
