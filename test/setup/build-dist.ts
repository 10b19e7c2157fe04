import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: builds dist/ once (the TypeScript, both line kernels, the bundle), before any
 * test runs. Some tests run the built code (the scan worker at dist/logs/scan-worker.js, the
 * kernels at dist/logs/line-scan.{wasm,node}, bin/unstick.js and its bundle, the demo), so without this step
 * `vitest run`, watch mode or an IDE runner would test the last build instead of the source.
 * A build that fails stops the run, with tsc's own output.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  // The same steps as `npm run build`: the TypeScript, the WebAssembly and native line kernels, the bundle.
  const steps = [[tsc, '-p', 'tsconfig.build.json'], ...['build-wasm.js', 'build-native.js', 'build-bundle.js'].map((script) => [path.join(root, 'scripts', script)])];
  for (const args of steps) {
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (result.error || result.status !== 0) {
      const why = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
      const command = ['node', ...args.map((a) => path.relative(root, a) || a)].join(' ');
      throw new Error(`test setup: building dist/ failed (${why}): ${command}\n${result.stdout}${result.stderr}`);
    }
  }
}
