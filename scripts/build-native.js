#!/usr/bin/env node
// Builds the native line kernel: src/logs/native/line_scan.c -> dist/logs/line-scan.node (a Node-API
// addon, AVX2 on x86-64). Part of `npm run build`. Optional: without a C compiler or Node's headers
// it says so and stops, and the scanner uses the WebAssembly kernel (dist/logs/line-scan.wasm).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = path.join(root, 'src/logs/native/line_scan.c');
const target = path.join(root, 'dist/logs/line-scan.node');

function skip(why) {
  rmSync(target, { force: true });
  process.stderr.write(`build-native: not built (${why}); diagnose uses the WebAssembly line kernel\n`);
  process.exit(0);
}

if (process.arch !== 'x64') skip(`${process.arch}: the kernel is x86-64 only`);
const includes = [path.resolve(path.dirname(process.execPath), '../include/node'), process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include/node')]
  .filter(Boolean)
  .filter((dir) => existsSync(path.join(dir, 'node_api.h')));
if (includes.length === 0) skip("Node's headers (node_api.h) not found");
const compiler = process.env.CC || 'cc';
const flags = ['-O3', '-std=gnu11', '-fPIC', '-shared', '-pthread', '-Wall', '-Werror', `-I${includes[0]}`, source, '-o', target];
if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
mkdirSync(path.dirname(target), { recursive: true });
const result = spawnSync(compiler, flags, { encoding: 'utf8' });
if (result.error) skip(`${compiler}: ${result.error.message}`);
if (result.status !== 0) {
  process.stderr.write(result.stderr);
  skip(`${compiler} exited ${result.status}`);
}
