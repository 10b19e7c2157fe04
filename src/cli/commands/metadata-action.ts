import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UnstickError, UsageError } from '../../errors.js';
import { ACTION_NAME, ACTION_RUNTIME, ACTION_TRIGGER, actionCode, actionSecrets, bindingsWithAction } from '../../repair/action-code.js';
import type { Context } from '../context.js';
import type { MetadataArgs } from './metadata.spec.js';

/**
 * `unstick metadata action`: the post-login Action the seed describes, for this tenant. Printed,
 * written to a file, or with --deploy created, deployed and bound to the post-login trigger after
 * showing the bindings before and after (the bindings PATCH replaces the whole list). Secret values
 * come from the environment (the secrets' own names), never into the code.
 */
export async function metadataAction(ctx: Context, args: MetadataArgs): Promise<number> {
  const options = { marker: args.marker, ...(args.connection ? { connection: args.connection } : {}) };
  const code = actionCode(options);
  const secrets = actionSecrets(options);
  if (!args.deploy) {
    if (args.out) {
      writeFileSync(path.resolve(ctx.cwd, args.out), code);
      ctx.stderr.write(`wrote ${args.out}\n`);
    } else ctx.stdout.write(code.endsWith('\n') ? code : `${code}\n`);
    ctx.stderr.write(`secrets the Action reads (set them in the Action's settings): ${secrets.map((s) => `${s.name} (${s.description})`).join('; ')}\n`);
    return ExitCode.ok;
  }
  if (!args.yes && !ctx.canPrompt) throw new UsageError('metadata action --deploy changes the tenant and needs confirmation: pass --yes when stdin is not a terminal');
  const tenant = await ctx.tenant();
  const current = await tenant.triggerBindings(ACTION_TRIGGER.id);
  const existing = await tenant.actionByName(ACTION_NAME);
  if (existing && current.some((b) => b.action?.id === existing.id)) {
    // Already created, deployed and bound: running again changes nothing.
    if (args.json) ctx.stdout.write(JSON.stringify({ tenant: tenant.domain, action: { id: existing.id, name: ACTION_NAME }, bindings: current.map((b) => b.display_name ?? b.action?.id ?? '?'), changed: false }, null, 2) + '\n');
    else ctx.stdout.write(`${ACTION_NAME} (${existing.id}) is already deployed and bound to post-login: nothing to do\n`);
    return ExitCode.ok;
  }
  const missing = existing ? [] : secrets.filter((s) => !ctx.env[s.name]);
  if (missing.length > 0) throw new UsageError(`--deploy needs the secrets' values: set ${missing.map((s) => s.name).join(' and ')} in the environment (they go into the Action's secrets, not its code)`);
  const names = (list: typeof current) => list.map((b) => b.display_name ?? b.action?.id ?? '?');
  ctx.stderr.write(`${ACTION_NAME} on ${tenant.domain}: ${existing ? `exists (${existing.id}): it is deployed and bound as it is` : 'will be created'}\n`);
  ctx.stderr.write(`  post-login bindings now: ${names(current).join(', ') || '(none)'}\n`);
  if (!args.yes && !(await ctx.prompt.confirm(`${existing ? 'Deploy and bind' : 'Create, deploy and bind'} ${ACTION_NAME} on ${tenant.domain}? The other post-login Actions stay bound`, { default: false }))) {
    ctx.stderr.write('nothing changed\n');
    return ExitCode.someFailed;
  }
  const action = existing ?? (await tenant.createAction({ name: ACTION_NAME, code, runtime: ACTION_RUNTIME, trigger: ACTION_TRIGGER, secrets: secrets.map((s) => ({ name: s.name, value: ctx.env[s.name]! })) }));
  // Deploying before the build has finished is refused by Auth0.
  for (let delay = 200, waited = 0; ; waited += delay, delay = Math.min(delay * 2, 3000)) {
    const status = await tenant.actionStatus(action.id);
    if (status === 'built') break;
    if (status === 'failed') throw new UnstickError(`the Action ${action.id} failed to build`, ExitCode.someFailed);
    if (waited > 60_000) throw new UnstickError(`the Action ${action.id} is still ${status} after a minute; run again later`, ExitCode.tempFail);
    await ctx.sleep(delay);
  }
  await tenant.deployAction(action.id);
  const next = bindingsWithAction(await tenant.triggerBindings(ACTION_TRIGGER.id), action.id);
  if (next) await tenant.replaceTriggerBindings(ACTION_TRIGGER.id, next);
  const after = await tenant.triggerBindings(ACTION_TRIGGER.id);
  ctx.stderr.write(`  post-login bindings after: ${names(after).join(', ')}\n`);
  if (!after.some((b) => b.action?.id === action.id)) throw new UnstickError(`${ACTION_NAME} is deployed but not bound to post-login`, ExitCode.someFailed);
  if (args.json) ctx.stdout.write(JSON.stringify({ tenant: tenant.domain, action: { id: action.id, name: ACTION_NAME }, bindings: names(after) }, null, 2) + '\n');
  else ctx.stdout.write(`deployed ${ACTION_NAME} (${action.id}) and bound it to post-login\n`);
  return ExitCode.ok;
}
