#!/usr/bin/env node
// The README's demo: runs the real CLI on the shipped examples. Later issues extend it to a repair
// rehearsal against the built-in sandbox tenant.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../bin/unstick.js', import.meta.url));

function step(title, args) {
  process.stderr.write(`\n\u001b[1m$ unstick ${args.join(' ')}\u001b[0m   # ${title}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

step('every log format in examples/logs, one finding per stuck user', ['diagnose', 'examples/logs']);
step('the same as CSV: the input for a batch repair', ['diagnose', 'examples/logs', '--csv']);
