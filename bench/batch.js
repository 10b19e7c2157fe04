#!/usr/bin/env node
// Batch repair benchmark: `npm run bench:batch -- [--affected N] [--healthy N] [--bystanders N] [--seed S]
//   [--concurrency C] [--naive-users N|all] [--skip-naive] [--timeout SECONDS] [--keep]`.
// The naive loop runs on the first 600 rows of the CSV by default (same mix; its time is scaled to the
// whole CSV for the ratio): it paces the same way all along, and the whole CSV would add minutes.
//
// 1. Generates (in a temp dir, from a seed) a tenant: the `legacy-db` lazy-migration connection plus
//    Username-Password-Authentication; N affected users on legacy-db, half ghosts (a store entry, no
//    profile) and half stuck profiles (imported, never logged in), each with its legacy entry; healthy
//    legacy-db users who logged in (they are in the CSV too, as in a real ticket export, and must stay
//    untouched); bystanders not in the CSV. Writes the CSV of affected emails, in shuffled order.
// 2. Starts `unstick sandbox` as its own process. For each case ("global": 20 burst / 100 per second;
//    "groups": a non-binding global bucket plus endpoint groups scaled from the self-service plan) it
//    resets the tenant, sets the limits (POST /__sandbox/rate-limit), runs the built CLI
//    `unstick batch users.csv --apply --yes --json` as a child process, reads the sandbox journal and
//    rate-limit counters, and checks the tenant (every affected user repaired, every healthy one intact).
// 3. Runs a naive loop against the "global" limits on a reset tenant: one user at a time with the
//    official SDK and its default retries (users-by-email, Delete a User, Delete a Connection User).
// 4. Prints the figures and a table. Exits 1 when a correctness check of unstick fails (never for a
//    missed speed target: those are marked "target missed").
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { prng } from '../scripts/prng.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'bin', 'unstick.js');
const LEGACY_DB = { name: 'legacy-db', id: 'con_Lg7cYq2RzX4mB9tK' };

// ------------------------------------------------------------------------------------------ naive child
// Runs in a child process that trusts the sandbox CA (Node reads NODE_EXTRA_CA_CERTS only at start).
if (process.env.BENCH_BATCH_NAIVE) {
  await naiveLoop(process.env.BENCH_BATCH_NAIVE);
  process.exit(0);
}

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const has = (name) => args.includes(`--${name}`);
const AFFECTED = Number(opt('affected', 1500));
const HEALTHY = Number(opt('healthy', 500));
const BYSTANDERS = Number(opt('bystanders', 500));
const SEED = Number(opt('seed', 20240502));
const CONCURRENCY = opt('concurrency', null);
const NAIVE_USERS = opt('naive-users', '600');
const TIMEOUT_S = Number(opt('timeout', 480));
for (const [n, v] of Object.entries({ AFFECTED, HEALTHY, BYSTANDERS, SEED, TIMEOUT_S })) {
  if (!Number.isFinite(v) || v < 0) {
    console.error(`bench:batch: ${n.toLowerCase()} must be a non-negative number`);
    process.exit(64);
  }
}

const CASES = [
  { name: 'global', rateLimit: { burst: 20, perSecond: 100 } },
  {
    name: 'groups',
    // Self-service groups (read users 40/500 per minute, delete users 20/200, other 10/150) scaled up
    // so the run takes about as long as the global case; the global bucket is set not to bind.
    rateLimit: {
      burst: 200,
      perSecond: 400,
      groups: [
        { name: 'read-users', routes: ['GET /api/v2/users-by-email', 'GET /api/v2/users', 'GET /api/v2/users/*'], burst: 40, perSecond: 60 },
        { name: 'delete-users', routes: ['DELETE /api/v2/users/*'], burst: 20, perSecond: 30 },
        { name: 'other', routes: ['* /api/v2/**'], burst: 10, perSecond: 30 },
      ],
    },
  },
];

// ------------------------------------------------------------------------------------------ cleanup
const children = new Set();
const tempDirs = [];
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  if (!has('keep')) for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\nbench:batch: ${signal}, stopping`);
    cleanup();
    process.exit(130);
  });
}
process.once('exit', cleanup);

// ------------------------------------------------------------------------------------------ scenario

const FIRST = ['ada', 'ben', 'chen', 'dara', 'eli', 'fatima', 'gus', 'hana', 'ivan', 'jo', 'kofi', 'lena', 'mo', 'noor', 'oscar', 'pia', 'quinn', 'rosa', 'sven', 'tariq', 'uma', 'vik', 'wen', 'xavi', 'yara', 'zane'];
const LAST = ['abe', 'brook', 'costa', 'diaz', 'eriksen', 'fox', 'gupta', 'hahn', 'ito', 'jones', 'kato', 'lopez', 'mensah', 'novak', 'ortiz', 'park', 'quist', 'reyes', 'silva', 'tan', 'ueda', 'vance', 'wu', 'young', 'zhou'];
const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'ja', 'pl', 'pt'];
const PLANS = ['bronze', 'silver', 'gold'];
const SUBJECTS = ['Cannot sign up, "The user already exists."', 'Login fails after the migration', 'DUPLICATED_USER in the import report', 'Password reset does nothing, please help'];

function buildScenario() {
  const random = prng(SEED);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const ghostCount = Math.floor(AFFECTED / 2);
  const kinds = [...Array(ghostCount).fill('ghost'), ...Array(AFFECTED - ghostCount).fill('stuck'), ...Array(HEALTHY).fill('healthy')];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const day = (k) => String(1 + (k % 28)).padStart(2, '0');
  const users = [];
  const ghosts = [];
  const legacy = [];
  const people = { ghost: [], stuck: [], healthy: [], bystander: [] };
  const csv = ['ticket_id,email,reported_at,subject'];
  kinds.forEach((kind, n) => {
    const first = FIRST[n % FIRST.length];
    const last = LAST[Math.floor(n / FIRST.length) % LAST.length];
    const email = `${first}.${last}.${n}@acme-bench.com`;
    const name = `${first[0].toUpperCase()}${first.slice(1)} ${last[0].toUpperCase()}${last.slice(1)}`;
    const legacyId = `legacy-${200000 + n}`;
    const time = `${String(8 + (n % 10)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00.000Z`;
    legacy.push({ email, password: `pw-${n}`, user_id: legacyId, name, user_metadata: { language: pick(LANGUAGES) }, app_metadata: { plan: pick(PLANS), legacy_customer_id: `C-${200000 + n}` } });
    if (kind === 'ghost') ghosts.push({ email, connection: LEGACY_DB.name });
    else if (kind === 'stuck') users.push({ email, connection: LEGACY_DB.name, name, user_metadata: { language: pick(LANGUAGES) }, created_at: `2024-04-${day(n)}T${time}`, logins_count: 0 });
    else users.push({ email, connection: LEGACY_DB.name, password: `pw-${n}`, name, user_metadata: { language: pick(LANGUAGES) }, created_at: `2024-03-${day(n)}T${time}`, logins_count: 1 + (n % 17), last_login: `2024-04-${day(n * 7)}T${time}` });
    people[kind].push({ email, user_id: `auth0|${legacyId}` });
    csv.push(`T-${100000 + n},${email},2024-05-${day(n)}T${time},"${pick(SUBJECTS).replace(/"/g, '""')}"`);
  });
  for (let b = 0; b < BYSTANDERS; b++) {
    const n = kinds.length + b;
    const email = `${FIRST[n % FIRST.length]}.${LAST[Math.floor(n / FIRST.length) % LAST.length]}.${n}@acme-bench.com`;
    const time = `${String(8 + (n % 10)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00.000Z`;
    const history = { created_at: `2024-03-${day(n)}T${time}`, logins_count: 1 + (n % 5), last_login: `2024-04-${day(n)}T${time}` };
    const connection = b % 2 === 0 ? LEGACY_DB.name : 'Username-Password-Authentication';
    if (connection === LEGACY_DB.name) legacy.push({ email, password: `pw-${n}`, user_id: `legacy-${200000 + n}`, name: email });
    users.push({ email, connection, password: `pw-${n}`, ...history });
    people.bystander.push({ email, user_id: connection === LEGACY_DB.name ? `auth0|legacy-${200000 + n}` : null, connection });
  }
  const scenario = {
    tenant: 'acme-bench',
    connections: [
      { name: LEGACY_DB.name, id: LEGACY_DB.id, options: { enabledDatabaseCustomization: true, import_mode: true, customScripts: { login: 'function login(email, password, callback) { /* legacy API */ }', get_user: 'function getByEmail(email, callback) { /* legacy API */ }' } } },
      { name: 'Username-Password-Authentication', id: 'con_Up7Hw3NbQ8sLx2Ve' },
    ],
    users,
    ghosts,
    legacy,
  };
  return { scenario, csv: csv.join('\n') + '\n', people, usersByEmail: new Map(users.map((u) => [u.email, u])) };
}

// ------------------------------------------------------------------------------------------ processes
/** Starts `unstick sandbox ARGS` and resolves with its ready line (and a stop function). */
async function startSandbox(sandboxArgs) {
  const child = spawn(process.execPath, [cli, 'sandbox', ...sandboxArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d).slice(-20_000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const line = await withTimeout(
      new Promise((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`the sandbox exited with ${code}: ${log}`)));
      }),
      60_000,
      'the sandbox ready line',
    );
    return {
      ready: JSON.parse(line),
      log: () => log,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
        children.delete(child);
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** Runs a child to completion (or kills it at the timeout); collects its output. */
function runChild(command, argv, { env, cwd, timeoutMs }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-50_000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut, ms: performance.now() - started });
    });
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** A control-plane request to the sandbox (loopback, trusting its CA). */
function control(ready, method, route, body) {
  const [host, port] = ready.domain.split(':');
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host, port: Number(port), path: route, method, ca: readFileSync(ready.caCert), timeout: 60_000, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode >= 400) return reject(new Error(`${method} ${route}: ${res.statusCode} ${text.slice(0, 500)}`));
          try {
            resolve(text ? JSON.parse(text) : null);
          } catch {
            resolve(text);
          }
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${method} ${route}: timed out`)));
    req.once('error', reject);
    req.end(payload ?? undefined);
  });
}

// ------------------------------------------------------------------------------------------ analysis
/** Fault-route syntax: `*` one segment, a trailing `**` the rest, METHOD may be `*`. */
function routeMatcher(route) {
  const [method, p] = route.split(' ');
  const segs = p.split('/').slice(1);
  const src = segs.map((s, i) => (s === '**' && i === segs.length - 1 ? '.*' : s === '*' ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  const re = new RegExp(`^/${src}$`);
  return (m, pathname) => (method === '*' || method === m) && re.test(pathname);
}

function groupOf(rateLimit) {
  const groups = (rateLimit.groups ?? []).map((g) => ({ name: g.name, match: g.routes.map(routeMatcher) }));
  return (method, pathname) => groups.find((g) => g.match.some((m) => m(method, pathname)))?.name ?? null;
}

function endpoint(e) {
  if (e.path === '/api/v2/users-by-email') return 'GET users-by-email';
  if (/^\/api\/v2\/connections\/[^/]+\/users$/.test(e.path)) return `${e.method} connections/*/users`;
  if (/^\/api\/v2\/users\/[^/]+$/.test(e.path)) return `${e.method} users/*`;
  return `${e.method} ${e.path.replace(/con_[A-Za-z0-9]+/, '*')}`;
}

const pctile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

/** What the sandbox journal says about one run. */
function analyseJournal(journal, rateLimit) {
  const api = journal.filter((e) => e.path.startsWith('/api/v2/')).map((e) => ({ ...e, t: Date.parse(e.time) }));
  api.sort((a, b) => a.t - b.t);
  const tokens = journal.filter((e) => e.path === '/oauth/token').length;
  const ok = api.filter((e) => e.status !== 429);
  const limited = api.filter((e) => e.status === 429);
  const byEndpoint = {};
  for (const e of api) {
    const k = endpoint(e);
    const row = (byEndpoint[k] ??= { requests: 0, limited: 0, statuses: {} });
    row.requests++;
    if (e.status === 429) row.limited++;
    row.statuses[e.status] = (row.statuses[e.status] ?? 0) + 1;
  }
  if (!api.length) return { api, ok, limited, tokens, byEndpoint, span: 0 };
  const t0 = api[0].t;
  const t1 = Math.max(...api.map((e) => e.t + e.ms));
  const span = (t1 - t0) / 1000;
  // The user phase starts at the first lookup of a user (before it: the connection lookup, then a local count pass).
  const firstUser = api.find((e) => e.path === '/api/v2/users-by-email');
  const userSpan = firstUser ? (t1 - firstUser.t) / 1000 : span;
  const preamble = firstUser ? (firstUser.t - t0) / 1000 : 0;
  // Throughput per whole second of the run (non-429 answers), by sandbox bucket.
  const seconds = Math.max(1, Math.ceil((t1 - t0) / 1000));
  const group = groupOf(rateLimit);
  const perSecond = { all: new Array(seconds).fill(0) };
  const bucketSpan = {};
  for (const e of ok) {
    const s = Math.min(seconds - 1, Math.floor((e.t - t0) / 1000));
    perSecond.all[s]++;
    const g = group(e.method, e.path);
    if (g) {
      (perSecond[g] ??= new Array(seconds).fill(0))[s]++;
      const b = (bucketSpan[g] ??= { first: e.t, last: e.t + e.ms, taken: 0 });
      b.last = Math.max(b.last, e.t + e.ms);
      b.taken++;
    }
  }
  // Idle gaps: no request started for a while (the pacer waiting, or nothing to do).
  const gaps = [];
  for (let i = 1; i < api.length; i++) {
    const g = api[i].t - api[i - 1].t;
    if (g >= 100) gaps.push({ at: (api[i - 1].t - t0) / 1000, ms: g, after: endpoint(api[i - 1]), next: endpoint(api[i]) });
  }
  gaps.sort((a, b) => b.ms - a.ms);
  // 429s over time: which seconds had them.
  const limitedSeconds = {};
  for (const e of limited) {
    const s = Math.floor((e.t - t0) / 1000);
    limitedSeconds[s] = (limitedSeconds[s] ?? 0) + 1;
  }
  const busy = api.reduce((sum, e) => sum + e.ms, 0) / Math.max(1, t1 - t0);
  // Where in the wall-clock second requests start (x-ratelimit-reset has a one-second resolution).
  const phase = new Array(10).fill(0);
  for (const e of ok) phase[Math.floor((e.t % 1000) / 100)]++;
  const latencies = ok.map((e) => e.ms).sort((a, b) => a - b);
  return { api, ok, limited, tokens, byEndpoint, t0, t1, span, userSpan, preamble, perSecond, bucketSpan, gaps, limitedSeconds, busy, phase, latency: { p50: pctile(latencies, 0.5), p99: pctile(latencies, 0.99) } };
}

function secondStats(counts) {
  // Whole seconds only: drop the first and the last (partial) second.
  const inner = counts.length > 2 ? counts.slice(1, -1) : counts;
  const sorted = [...inner].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, p10: pctile(sorted, 0.1), median: pctile(sorted, 0.5), max: sorted.at(-1) ?? 0 };
}

/** The tenant after a run: affected users repaired, healthy users and bystanders untouched. */
function checkState(state, people, usersByEmail, { expectHealthyIntact }) {
  const problems = [];
  const profiles = new Map();
  for (const u of state.users) profiles.set(u.user_id, u);
  const legacyStore = new Map((state.stores?.[LEGACY_DB.name] ?? []).map((e) => [e.email, e]));
  const ghostEmails = new Set((state.ghosts ?? []).filter((g) => g.connection === LEGACY_DB.name).map((g) => g.email));
  let healthyIntact = 0;
  let healthyGone = 0;
  let csvHealthyTouched = 0;
  const inCsv = new Set(people.healthy);
  for (const p of [...people.healthy, ...people.bystander]) {
    const u = p.user_id ? profiles.get(p.user_id) : state.users.find((x) => x.email === p.email);
    const want = usersByEmail.get(p.email);
    const intact = u && u.email === p.email && u.logins_count === want.logins_count && new Date(u.last_login).toISOString() === new Date(want.last_login).toISOString() && (p.connection !== undefined && p.connection !== LEGACY_DB.name ? true : legacyStore.get(p.email)?.has_password === true);
    if (intact) healthyIntact++;
    else {
      healthyGone++;
      if (inCsv.has(p)) csvHealthyTouched++;
      if (expectHealthyIntact && problems.length < 10) problems.push(`healthy user ${p.email} was touched (${u ? 'profile changed' : 'profile gone'})`);
    }
  }
  let ghostsLeft = 0;
  for (const p of people.ghost) {
    if (ghostEmails.has(p.email) || legacyStore.has(p.email)) {
      ghostsLeft++;
      if (problems.length < 10) problems.push(`ghost ${p.email} is still in the legacy-db store`);
    }
  }
  let stuckLeft = 0;
  for (const p of people.stuck) {
    if (profiles.has(p.user_id) || legacyStore.has(p.email)) {
      stuckLeft++;
      if (problems.length < 10) problems.push(`stuck profile ${p.email} is still there (${profiles.has(p.user_id) ? 'profile' : 'store entry'})`);
    }
  }
  return { healthyIntact, healthyGone, csvHealthyTouched, ghostsLeft, stuckLeft, problems, total: people.healthy.length + people.bystander.length };
}

// ------------------------------------------------------------------------------------------ main
const results = [];
let failed = false;
const fail = (msg) => {
  failed = true;
  console.log(`  FAILED: ${msg}`);
};
const miss = (ok) => (ok ? '' : '  <- target missed');

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'unstick-bench-batch-'));
  tempDirs.push(work);
  const { scenario, csv, people, usersByEmail } = buildScenario();
  const scenarioFile = path.join(work, 'scenario.json');
  const csvFile = path.join(work, 'users.csv');
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  writeFileSync(csvFile, csv);
  const rows = people.ghost.length + people.stuck.length + people.healthy.length;
  console.log(`tenant: ${people.ghost.length} ghosts + ${people.stuck.length} stuck profiles = ${people.ghost.length + people.stuck.length} affected, ${people.healthy.length} healthy in the CSV too, ${people.bystander.length} bystanders not in it (seed ${SEED})`);
  console.log(`CSV: ${rows} rows (ticket_id,email,reported_at,subject), affected and healthy mixed`);
  const sandboxDir = path.join(work, 'sandbox');
  const sandbox = await startSandbox(['--scenario', scenarioFile, '--port', '0', '--state-dir', sandboxDir]);
  const { ready } = sandbox;
  console.log(`sandbox: https://${ready.domain} (its own process)\n`);
  const cliEnv = { ...process.env, AUTH0_DOMAIN: ready.domain, AUTH0_CLIENT_ID: ready.clientId, AUTH0_CLIENT_SECRET: ready.clientSecret, NODE_EXTRA_CA_CERTS: ready.caCert, NO_COLOR: '1' };
  delete cliEnv.AUTH0_TOKEN;
  try {
    for (const c of CASES) results.push(await runCase(c, { ready, work, csvFile, cliEnv, people, usersByEmail, rows }));
    if (!has('skip-naive')) results.push(await runNaive({ ready, work, people, usersByEmail, rateLimit: CASES[0].rateLimit }));
    summary();
  } finally {
    await sandbox.stop();
  }
}

async function runCase(c, { ready, work, csvFile, cliEnv, people, usersByEmail, rows }) {
  console.log(`== case "${c.name}": ${describeLimits(c.rateLimit)}`);
  await control(ready, 'POST', '/__sandbox/reset');
  await control(ready, 'POST', '/__sandbox/rate-limit', c.rateLimit);
  await control(ready, 'DELETE', '/__sandbox/journal');
  const stateDir = path.join(work, `state-${c.name}`);
  mkdirSync(stateDir, { recursive: true });
  const report = path.join(stateDir, 'report.ndjson');
  const argv = [cli, 'batch', csvFile, '--apply', '--yes', '--json', '--connection', LEGACY_DB.name, '--state-dir', stateDir, '--report', report];
  if (CONCURRENCY) argv.push('--concurrency', CONCURRENCY);
  const run = await runChild(process.execPath, argv, { env: cliEnv, cwd: work, timeoutMs: TIMEOUT_S * 1000 });
  const wall = run.ms / 1000;
  const [journal, limits, state] = await Promise.all([control(ready, 'GET', '/__sandbox/journal'), control(ready, 'GET', '/__sandbox/rate-limit'), control(ready, 'GET', '/__sandbox/state')]);
  let out = null;
  try {
    out = JSON.parse(run.stdout);
  } catch {
    // reported below
  }
  const result = { name: c.name, wall, ok: true };
  if (run.timedOut) fail(`unstick batch timed out after ${TIMEOUT_S} s`);
  if (!out) {
    fail(`unstick batch exited ${run.code ?? run.signal} without a JSON summary; stderr:\n${run.stderr.slice(-3000)}`);
    result.ok = false;
    return result;
  }
  if (run.code !== 0) fail(`unstick batch exited ${run.code}`);
  // Per user, from the report.
  const outcomes = new Map();
  for (const line of readFileSync(report, 'utf8').split('\n')) if (line.trim()) { const r = JSON.parse(line); outcomes.set(r.email, r); }
  const failures = [...outcomes.values()].filter((r) => r.outcome === 'failed');
  const rateLimitFailures = failures.filter((r) => /429|rate.?limit|too many/i.test(r.error ?? ''));
  let notRepaired = 0;
  for (const p of [...people.ghost, ...people.stuck]) if (outcomes.get(p.email)?.outcome !== 'repaired') notRepaired++;
  let healthyWrong = 0;
  for (const p of people.healthy) if (outcomes.get(p.email)?.outcome !== 'nothing-to-do') healthyWrong++;
  const repaired = out.totals.outcomes.repaired ?? 0;
  if (journal.length >= 90_000) console.log(`  note: the sandbox journal holds ${journal.length} entries (it keeps the last 100,000): the oldest may be missing`);
  const j = analyseJournal(journal, c.rateLimit);
  const check = checkState(state, people, usersByEmail, { expectHealthyIntact: true });
  const backups = countFiles(path.join(stateDir, 'backups'));

  const calls = j.api.length;
  const callsPerUser = calls / Math.max(1, repaired);
  const batchSeconds = out.seconds;
  console.log(`  outcomes: ${JSON.stringify(out.totals.outcomes)}  (classifications ${JSON.stringify(out.totals.classifications)})`);
  console.log(`  wall time ${fmt(wall, 2)} s (CLI start to exit); the command's own batch phase ${fmt(batchSeconds, 2)} s; journal span ${fmt(j.span, 2)} s (first to last /api/v2 request), of which ${fmt(j.preamble, 2)} s before the first user lookup`);
  console.log(`  users/s: ${fmt(rows / wall)} (all ${rows} rows over the wall time), ${fmt(repaired / wall)} repaired/s; ${fmt(rows / j.userSpan)} rows/s over the user phase`);
  console.log(`  Management API calls: ${calls} (${j.ok.length} answered, ${j.limited.length} answered 429) + ${j.tokens} token requests; ${fmt(callsPerUser, 2)} per repaired user (target <= 3.5)${miss(callsPerUser <= 3.5)}`);
  console.log(`    by endpoint: ${Object.entries(j.byEndpoint).map(([k, v]) => `${k} ${v.requests}${v.limited ? ` (${v.limited} x 429)` : ''}`).join(', ')}`);
  const ideal = idealCalls(people);
  console.log(`    expected for this tenant: ${ideal.total} (${ideal.describe}) = ${fmt(ideal.total / (people.ghost.length + people.stuck.length), 2)} per repaired user`);
  console.log(`  429s answered by the sandbox: ${j.limited.length} (limiter counted ${limits.limited ?? 0}); pacer: ${out.requests ? `${out.requests.requests} requests, ${out.requests.limited} x 429 waited out, ${out.requests.rateLimitWaits} rate-limit waits, ${out.requests.retries} retries, ${fmt(out.requests.waitedMs / 1000)} s waited in total (summed over workers), global=${out.requests.global}` : 'no stats'}`);
  if (out.requests?.buckets) console.log(`    the pacer's buckets (its own keys): ${Object.entries(out.requests.buckets).map(([k, b]) => `${k} limit ${b.limit ?? '?'} taken ${b.taken} 429 ${b.limited}`).join('; ')}`);
  console.log(`  429s that reached the user: ${rateLimitFailures.length} (target 0)${miss(rateLimitFailures.length === 0)}; failed users: ${failures.length}${failures.length ? `, e.g. ${failures[0].email}: ${failures[0].error}` : ''}`);
  if (Object.keys(j.limitedSeconds).length) console.log(`    429s by second of the run: ${Object.entries(j.limitedSeconds).slice(0, 30).map(([s, n]) => `${s}s:${n}`).join(' ')}${Object.keys(j.limitedSeconds).length > 30 ? ' ...' : ''}`);

  // Utilisation.
  let utilisation;
  if (!c.rateLimit.groups) {
    const { burst, perSecond } = c.rateLimit;
    const allowed = (t) => burst + perSecond * t;
    const uSpan = j.ok.length / allowed(j.span);
    const uWall = j.ok.length / allowed(wall);
    const uBatch = j.ok.length / allowed(batchSeconds);
    utilisation = uSpan;
    const idealTime = Math.max(0, (j.ok.length - burst) / perSecond);
    console.log(`  utilisation (answered requests / (burst + perSecond * time)): ${fmt(uSpan, 3)} over the journal span (target >= 0.9)${miss(uSpan >= 0.9)}; ${fmt(uBatch, 3)} over the batch phase; ${fmt(uWall, 3)} over the wall time`);
    console.log(`    achieved ${fmt(j.ok.length / j.span)} req/s over the span against ${perSecond}/s allowed; the same ${j.ok.length} requests need at least ${fmt(idealTime, 2)} s at this limit`);
  } else {
    const rows2 = [];
    for (const b of limits.buckets ?? []) {
      const rate = b.perSecond ?? b.perMinute / 60;
      const u = b.taken / (b.burst + rate * j.span);
      const own = j.bucketSpan[b.name];
      const ownSpan = own ? (own.last - own.first) / 1000 : j.span;
      const uOwn = b.taken / (b.burst + rate * ownSpan);
      const idealT = Math.max(0, (b.taken - b.burst) / rate);
      rows2.push({ name: b.name, u, uOwn, taken: b.taken, limited: b.limited, requests: b.requests, burst: b.burst, rate, idealT, ownSpan });
    }
    rows2.sort((a, b) => b.u - a.u);
    const busiest = rows2[0];
    utilisation = busiest?.u ?? 0;
    console.log(`  utilisation per bucket (taken / (burst + rate * ${fmt(j.span, 2)} s journal span)):`);
    for (const r of rows2) {
      console.log(`    ${r.name.padEnd(13)} ${fmt(r.u, 3)}  taken ${String(r.taken).padStart(5)} of ${r.requests} requests, ${r.limited} x 429 from this bucket, ${r.burst} burst + ${r.rate}/s; alone it needs >= ${fmt(r.idealT, 2)} s; ${r.name === 'global' ? '' : `over its own active span (${fmt(r.ownSpan, 2)} s): ${fmt(r.uOwn, 3)}`}`);
    }
    console.log(`  busiest bucket: ${busiest?.name} at ${fmt(utilisation, 3)} (target >= 0.9)${miss(utilisation >= 0.9)}; with the wall time: ${fmt(busiest ? busiest.taken / (busiest.burst + busiest.rate * wall) : 0, 3)}`);
    const bound = rows2.filter((r) => r.name !== 'global').sort((a, b) => b.idealT - a.idealT)[0];
    if (bound) console.log(`    the binding bucket for this workload is ${bound.name}: >= ${fmt(bound.idealT, 2)} s; the run's span was ${fmt(j.span, 2)} s (${fmt(bound.idealT / j.span, 3)} of ideal)`);
  }
  // Where the time goes.
  const s = secondStats(j.perSecond.all);
  console.log(`  pace: answered requests per whole second: min ${s.min}, p10 ${s.p10}, median ${s.median}, max ${s.max}; sandbox handling time p50 ${j.latency.p50} ms, p99 ${j.latency.p99} ms (busy ${fmt(j.busy * 100)} % of the span)`);
  console.log(`    answered requests by start time within the wall-clock second (0-99 ms, 100-199 ms, ...): ${j.phase.map((n) => `${fmt((100 * n) / Math.max(1, j.ok.length), 0)}%`).join(' ')}`);
  if (c.rateLimit.groups) {
    for (const [g, counts] of Object.entries(j.perSecond)) {
      if (g === 'all') continue;
      const gs = secondStats(counts);
      console.log(`    ${g.padEnd(13)} per second: min ${gs.min}, p10 ${gs.p10}, median ${gs.median}, max ${gs.max}`);
    }
  }
  const idle = j.gaps.reduce((sum, g) => sum + g.ms, 0);
  console.log(`  idle gaps (no request started for >= 100 ms): ${j.gaps.length}, ${fmt(idle / 1000, 2)} s in total${j.gaps.length ? `; longest: ${j.gaps.slice(0, 4).map((g) => `${g.ms} ms at ${fmt(g.at, 2)} s (after ${g.after}, before ${g.next})`).join('; ')}` : ''}`);
  // Correctness.
  console.log(`  check: ${people.ghost.length + people.stuck.length - notRepaired}/${people.ghost.length + people.stuck.length} affected repaired, ${people.healthy.length - healthyWrong}/${people.healthy.length} healthy nothing-to-do; tenant: ${check.ghostsLeft} ghosts left, ${check.stuckLeft} stuck profiles left, ${check.healthyIntact}/${check.total} healthy and bystander users intact; ${backups} backups (${people.stuck.length} stuck profiles)`);
  if (notRepaired) fail(`${notRepaired} affected users not repaired`);
  if (healthyWrong) fail(`${healthyWrong} healthy users not nothing-to-do`);
  if (check.problems.length) fail(check.problems.join('; '));
  if (backups !== people.stuck.length) fail(`${backups} backups, expected ${people.stuck.length}`);
  console.log('');
  Object.assign(result, {
    ok: !(notRepaired || healthyWrong || check.problems.length || run.code !== 0),
    batchSeconds,
    span: j.span,
    usersPerSecond: rows / wall,
    callsPerUser,
    limited: j.limited.length,
    reachedUser: rateLimitFailures.length,
    utilisation,
    failures: failures.length,
  });
  return result;
}

function idealCalls(people) {
  // ghost: lookup + Delete a Connection User; stuck: lookup + Delete a User + Delete a Connection User + check; healthy: lookup; plus the connection lookup.
  const total = people.ghost.length * 2 + people.stuck.length * 4 + people.healthy.length + 1;
  return { total, describe: `2 per ghost, 4 per stuck profile, 1 per healthy user, 1 connection lookup` };
}

function describeLimits(rl) {
  const rate = (b) => `burst ${b.burst}, ${b.perSecond !== undefined ? `${b.perSecond}/s` : `${b.perMinute}/min`}`;
  const groups = (rl.groups ?? []).map((g) => `${g.name} [${g.routes.join(', ')}] ${rate(g)}`);
  return `global ${rate(rl)}${groups.length ? `; groups: ${groups.join('; ')}` : ''}`;
}

function countFiles(dir) {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

async function runNaive({ ready, work, people, usersByEmail, rateLimit }) {
  console.log(`== naive baseline: one user at a time with the auth0 SDK (ManagementClient, default retries), against the "global" limits (${describeLimits(rateLimit)})`);
  console.log('   per email: users.listUsersByEmail; if a profile on legacy-db: users.delete; then connections.users.deleteByEmail');
  console.log('   it does not skip healthy users: it deletes them, which is exactly what unstick prevents (run last, on a reset tenant)');
  await control(ready, 'POST', '/__sandbox/reset');
  await control(ready, 'POST', '/__sandbox/rate-limit', rateLimit);
  await control(ready, 'DELETE', '/__sandbox/journal');
  // The CSV's order, as the naive loop would read it.
  const emails = readFileSync(path.join(work, 'users.csv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split(',')[1]);
  const subset = NAIVE_USERS === 'all' ? emails : emails.slice(0, Number(NAIVE_USERS));
  const input = path.join(work, 'naive-input.json');
  const output = path.join(work, 'naive-output.json');
  writeFileSync(input, JSON.stringify({ emails: subset, connectionId: LEGACY_DB.id, connection: LEGACY_DB.name, output }));
  const env = { ...process.env, BENCH_BATCH_NAIVE: input, UNSTICK_SANDBOX: JSON.stringify(ready), NODE_EXTRA_CA_CERTS: ready.caCert };
  const run = await runChild(process.execPath, [fileURLToPath(import.meta.url)], { env, cwd: work, timeoutMs: TIMEOUT_S * 2 * 1000 });
  const wall = run.ms / 1000;
  let out = null;
  try {
    out = JSON.parse(readFileSync(output, 'utf8'));
  } catch {
    // reported below
  }
  const result = { name: 'naive SDK loop', wall, naive: true };
  if (run.timedOut) console.log(`  the naive loop timed out after ${TIMEOUT_S * 2} s (not a correctness failure of unstick)`);
  if (!out) {
    console.log(`  the naive loop exited ${run.code ?? run.signal} without results: ${run.stderr.slice(-2000)}`);
    return result;
  }
  const [journal, state] = await Promise.all([control(ready, 'GET', '/__sandbox/journal'), control(ready, 'GET', '/__sandbox/state')]);
  const j = analyseJournal(journal, rateLimit);
  const inSubset = new Set(subset);
  const sub = { ghost: people.ghost.filter((p) => inSubset.has(p.email)), stuck: people.stuck.filter((p) => inSubset.has(p.email)), healthy: people.healthy.filter((p) => inSubset.has(p.email)), bystander: people.bystander };
  const check = checkState(state, sub, usersByEmail, { expectHealthyIntact: false });
  const affected = sub.ghost.length + sub.stuck.length;
  const repaired = affected - check.ghostsLeft - check.stuckLeft;
  const callsPerUser = j.api.length / Math.max(1, repaired);
  console.log(`  ${subset.length} users${subset.length < emails.length ? ` (the first ${subset.length} of ${emails.length}: --naive-users)` : ''}: wall time ${fmt(wall, 2)} s (the loop itself ${fmt(out.seconds, 2)} s); ${fmt(subset.length / wall)} users/s`);
  console.log(`  Management API calls: ${j.api.length} (${j.limited.length} answered 429) = ${fmt(callsPerUser, 2)} per repaired user; 429s that escaped the SDK's retries (TooManyRequestsError): ${out.tooMany}; other errors: ${out.otherErrors}${out.sampleErrors.length ? ` (e.g. ${out.sampleErrors[0]})` : ''}`);
  console.log(`  tenant: ${repaired}/${affected} affected repaired; it deleted ${check.csvHealthyTouched} of ${sub.healthy.length} healthy users in the CSV (unstick: 0); bystanders intact: ${check.healthyIntact - (sub.healthy.length - check.csvHealthyTouched)}/${sub.bystander.length}`);
  const s = secondStats(j.perSecond.all);
  console.log(`  pace: answered requests per whole second: min ${s.min}, median ${s.median}, max ${s.max}; achieved ${fmt(j.ok.length / Math.max(0.001, j.span))} req/s over the span (${rateLimit.perSecond}/s allowed)`);
  console.log('');
  Object.assign(result, { loopSeconds: out.seconds, usersPerSecond: subset.length / wall, callsPerUser, limited: j.limited.length, reachedUser: out.tooMany, users: subset.length, allUsers: emails.length, repaired, affected, healthyDeleted: check.csvHealthyTouched });
  return result;
}

function summary() {
  const pad = (s, n) => String(s).padEnd(n);
  const lines = [];
  const head = ['case', 'wall s', 'batch s', 'users/s', 'calls/repaired', '429 sandbox', '429 to user', 'utilisation', 'correct'];
  const widths = [16, 8, 8, 8, 15, 12, 12, 13, 0];
  lines.push(head.map((h, i) => pad(h, widths[i])).join(''));
  for (const r of results) {
    if (r.naive) {
      lines.push([r.name, fmt(r.wall), fmt(r.loopSeconds), fmt(r.usersPerSecond), fmt(r.callsPerUser, 2), r.limited ?? '-', r.reachedUser ?? '-', '-', r.healthyDeleted !== undefined ? `deleted ${r.healthyDeleted} healthy` : '-'].map((v, i) => pad(v, widths[i])).join(''));
      continue;
    }
    lines.push(
      [
        r.name,
        fmt(r.wall),
        fmt(r.batchSeconds),
        fmt(r.usersPerSecond),
        `${fmt(r.callsPerUser, 2)}${r.callsPerUser > 3.5 ? '!' : ''}`,
        r.limited ?? '-',
        `${r.reachedUser ?? '-'}${r.reachedUser ? '!' : ''}`,
        `${fmt(r.utilisation, 3)}${r.utilisation < 0.9 ? '!' : ''}`,
        r.ok ? 'yes' : 'NO',
      ]
        .map((v, i) => pad(v, widths[i]))
        .join(''),
    );
  }
  console.log('== summary (targets: calls/repaired <= 3.5, 429 to user 0, utilisation >= 0.9; "!" = target missed)');
  console.log(lines.join('\n'));
  const global = results.find((r) => r.name === 'global');
  const naive = results.find((r) => r.naive);
  if (global && naive?.usersPerSecond) {
    const scaled = naive.users < naive.allUsers ? ` (naive timed on ${naive.users} of ${naive.allUsers} users, scaled)` : '';
    const naiveWall = naive.wall - naive.loopSeconds + (naive.loopSeconds * naive.allUsers) / naive.users;
    console.log(`naive / unstick time at the same global limit: ${fmt(naiveWall / global.wall, 2)}x on wall time${scaled}${naive.loopSeconds ? `, ${fmt(((naive.loopSeconds * naive.allUsers) / naive.users) / global.batchSeconds, 2)}x loop vs batch phase` : ''}`);
  }
  for (const r of results) {
    if (r.naive) continue;
    if (r.callsPerUser > 3.5) console.log(`target missed: ${r.name}: ${fmt(r.callsPerUser, 2)} calls per repaired user`);
    if (r.reachedUser) console.log(`target missed: ${r.name}: ${r.reachedUser} 429s reached the user`);
    if (r.utilisation < 0.9) console.log(`target missed: ${r.name}: utilisation ${fmt(r.utilisation, 3)}`);
  }
  console.log(failed ? 'correctness: FAILED (see above)' : 'correctness: every affected user repaired, every healthy user untouched, in both cases');
}

// ------------------------------------------------------------------------------------------ naive loop
async function naiveLoop(inputFile) {
  const { ManagementClient, Management } = await import('auth0');
  const input = JSON.parse(readFileSync(inputFile, 'utf8'));
  const ready = JSON.parse(process.env.UNSTICK_SANDBOX);
  const mgmt = new ManagementClient({ domain: ready.domain, clientId: ready.clientId, clientSecret: ready.clientSecret });
  let tooMany = 0;
  let otherErrors = 0;
  let done = 0;
  const sampleErrors = [];
  const started = performance.now();
  for (const email of input.emails) {
    try {
      const found = await mgmt.users.listUsersByEmail({ email });
      const profile = found.find((u) => (u.identities ?? []).some((i) => i.connection === input.connection));
      if (profile) await mgmt.users.delete(profile.user_id);
      await mgmt.connections.users.deleteByEmail(input.connectionId, { email });
      done++;
    } catch (err) {
      if (err instanceof Management.TooManyRequestsError || err?.statusCode === 429) tooMany++;
      else otherErrors++;
      if (sampleErrors.length < 3) sampleErrors.push(`${email}: ${err?.statusCode ?? ''} ${err?.message ?? err}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(input.output, JSON.stringify({ seconds, done, tooMany, otherErrors, sampleErrors }));
}

try {
  await main();
} catch (err) {
  console.error(`bench:batch: ${err?.stack ?? err}`);
  failed = true;
} finally {
  cleanup();
}
process.exitCode = failed ? 1 : 0;
