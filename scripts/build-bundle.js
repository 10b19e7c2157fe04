#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli, dist/logs, ...) into dist/bundle: what bin/unstick.js runs.
// Part of `npm run build`, after tsc. Start-up counts in every run: Node's ES module loader spends
// about half a millisecond on each module it resolves, reads and links, and `unstick diagnose`
// loaded some 60 of them; bundled it loads about 15, with the same code. Code that a command loads
// lazily stays lazy (one chunk per dynamic import), and the dependencies are loaded from
// node_modules as before, but luxon, which every diagnosis needs, is bundled in.
// dist/bundle/meta.json lists the modules in each chunk (the start-up test reads it).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, 'dist/bundle');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies)
  .filter((name) => name !== 'luxon')
  .flatMap((name) => [name, `${name}/*`]);

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The two halves of bin/unstick.js (see there), and the scan worker, which warm-workers.js finds beside them.
  entryPoints: { early: 'dist/cli/early.js', main: 'dist/cli/main.js', 'scan-worker': 'dist/logs/scan-worker.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Not minified: stack traces under --debug keep the names they have in dist/.
  metafile: true,
  logLevel: 'warning',
});
const chunks = Object.fromEntries(
  Object.entries(result.metafile.outputs).map(([file, output]) => [path.relative('dist/bundle', file), Object.keys(output.inputs)]),
);
writeFileSync(path.join(outdir, 'meta.json'), `${JSON.stringify(chunks, null, 2)}\n`);
