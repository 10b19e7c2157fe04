#!/usr/bin/env node
// Sandbox throughput benchmark: `npm run bench:sandbox -- [--seconds N] [--concurrency C] [--scenario FILE]`.
// Starts `unstick sandbox` (its own process, as a user runs it) with the 10,000-user scenario, then
// drives it through the official auth0 SDK over HTTPS (loopback, keep-alive) with a mix of lookups
// by email and by id, and prints requests/s and latency. Target: at least 2,000 requests/s.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTrustingSandbox, startSandboxProcess } from '../scripts/sandbox-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const seconds = Number(opt('seconds', 5));
const concurrency = Number(opt('concurrency', 32));
const scenarioPath = path.resolve(root, opt('scenario', 'examples/scenarios/large-10k.json'));

// Node reads NODE_EXTRA_CA_CERTS only at start: start the sandbox, then run the load in a child that trusts its CA.
if (!process.env.UNSTICK_SANDBOX) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'unstick-bench-sandbox-'));
  // Measure the sandbox itself, not the tenant rate limit the scenario rehearses: load a copy without it.
  const unthrottled = path.join(stateDir, 'scenario.json');
  const { rateLimit, ...rest } = JSON.parse(readFileSync(scenarioPath, 'utf8'));
  writeFileSync(unthrottled, JSON.stringify(rest));
  if (rateLimit) process.stderr.write(`(the scenario's rate limit ${JSON.stringify(rateLimit)} is off for the benchmark)\n`);
  const sandbox = await startSandboxProcess(['--scenario', unthrottled, '--state-dir', stateDir]);
  const code = await runTrustingSandbox(fileURLToPath(import.meta.url), sandbox.ready, args);
  await sandbox.stop();
  rmSync(stateDir, { recursive: true, force: true });
  process.exit(code);
}

const { ManagementClient } = await import('auth0');
const ready = JSON.parse(process.env.UNSTICK_SANDBOX);
const scenario = JSON.parse(readFileSync(scenarioPath, 'utf8'));
const mgmt = new ManagementClient({ domain: ready.domain, clientId: ready.clientId, clientSecret: ready.clientSecret, maxRetries: 0 });

// Targets: emails of profiles (hits), of ghosts (misses: stuck users are invisible), and user ids.
const emails = scenario.users.map((u) => u.email);
const ghosts = (scenario.ghosts ?? []).map((g) => g.email);
const warm = await mgmt.users.listUsersByEmail({ email: emails[0] });
const sampleIds = [];
for (const email of emails.slice(0, 200)) {
  const found = await mgmt.users.listUsersByEmail({ email });
  if (found[0]) sampleIds.push(found[0].user_id);
}
if (!warm.length || !sampleIds.length) throw new Error('the scenario users are not visible through the SDK');

const latencies = [];
let done = 0;
let errors = 0;
let hits = 0;
const deadline = performance.now() + seconds * 1000;
async function worker(w) {
  for (let i = w; performance.now() < deadline; i += concurrency) {
    const t0 = performance.now();
    try {
      if (i % 3 === 0) {
        const u = await mgmt.users.get(sampleIds[i % sampleIds.length]);
        if (u.user_id) hits++;
      } else if (i % 3 === 1) {
        const r = await mgmt.users.listUsersByEmail({ email: emails[(i * 7919) % emails.length] });
        if (r.length) hits++;
      } else {
        const r = await mgmt.users.listUsersByEmail({ email: ghosts.length ? ghosts[i % ghosts.length] : `nobody${i}@example.com` });
        if (r.length === 0) hits++;
      }
      done++;
    } catch (err) {
      errors++;
      if (errors < 3) console.error(String(err));
    }
    latencies.push(performance.now() - t0);
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2);
const rps = done / elapsed;
console.log(`sandbox: ${scenario.users.length.toLocaleString('en-US')} users, ${ghosts.length} ghosts (${path.relative(root, scenarioPath)})`);
console.log(`load: official auth0 SDK over HTTPS, ${concurrency} concurrent, ${seconds} s, lookups by id / by email / of ghosts`);
console.log(`  requests: ${done.toLocaleString('en-US')} ok, ${errors} errors, ${hits.toLocaleString('en-US')} with the expected answer`);
console.log(`  throughput: ${Math.round(rps).toLocaleString('en-US')} requests/s (target >= 2,000)`);
console.log(`  latency: p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
if (errors > 0 || hits !== done) process.exitCode = 1;
