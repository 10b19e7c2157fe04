import type { Context } from '../context.js';
import type { MetadataArgs } from './metadata.spec.js';
import { UsageError } from '../../errors.js';

/** `unstick metadata action`: wired once the Action's code generator lands (src/repair/action-code.ts). */
export async function metadataAction(_ctx: Context, _args: MetadataArgs): Promise<number> {
  throw new UsageError('metadata action is not available yet');
}
