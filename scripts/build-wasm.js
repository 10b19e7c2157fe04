#!/usr/bin/env node
// Builds the WebAssembly line scanner: src/logs/wasm/line-scan.ts (AssemblyScript) -> dist/logs/line-scan.wasm.
// Part of `npm run build`; the scanner falls back to JavaScript when the file is missing.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = 'src/logs/wasm/line-scan.ts';
const target = 'dist/logs/line-scan.wasm';
mkdirSync(path.join(root, 'dist/logs'), { recursive: true });
const { error, stderr } = await asc.main(
  [source, '--outFile', target, '-O3', '--runtime', 'stub', '--enable', 'simd', '--noAssert', '--baseDir', root],
  {},
);
if (error) {
  process.stderr.write(`build-wasm: ${error.message}\n${stderr.toString()}`);
  process.exit(1);
}
