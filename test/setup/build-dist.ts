import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: builds dist/ once, before any test runs. Some tests run the built code (the
 * scan worker at dist/logs/scan-worker.js, bin/unstick.js, the demo), so without this step
 * `vitest run`, watch mode or an IDE runner would test the last build instead of the source.
 * A build that fails stops the run, with tsc's own output.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
    throw new Error(`test setup: building dist/ failed (${why}): node ${path.relative(root, tsc)} -p tsconfig.build.json\n${result.stdout}${result.stderr}`);
  }
}
