#!/usr/bin/env node
// Log-scan benchmark: `npm run bench:logs -- [MB ...] [--runs N] [--dense]` (default 500 MB, 3 runs each; --dense: every line a candidate).
// Generates a log-stream JSON-lines file with planted stuck users, runs `unstick diagnose --json` as
// installed (`bin/unstick.js` through its launcher, start-up included; npx adds its own ~0.6 s) as it
// runs by default here (said on its line), as `node bin/unstick.js` (no launcher: Node reads
// NODE_EXTRA_CA_CERTS first), and with each slower kernel (UNSTICK_SCAN=wasm, =js), `cat` (the cost of reading),
// the grep pipeline an engineer reaches for and the jq pipeline that reads every line; checks that
// every run finds the same users, and prints the best of N runs for each, the ratios and the CLI's
// peak RSS. Build first (`npm run build`).
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.join(root, 'bench', 'out');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
const denseAt = args.indexOf('--dense');
// Every line a failed signup for one of 2,000 users: a log already filtered with grep, where every record is parsed.
const dense = denseAt >= 0 && args.splice(denseAt, 1).length > 0;
const sizes = args.length ? args.map(Number) : [500]; // the file issue 11 measures
const DENSE_USERS = 2000;
const JQ_FILTER = 'select(.data.type=="fs" and (.data.description|test("already exists";"i"))) | .data.user_name';
/** What an engineer types: fast, but blind to escaped markers (`already\u0020exists`) and to malformed lines. */
const GREP_PIPELINE = (file) => `LC_ALL=C grep -iF 'already exists' '${file}' | jq -r 'select(.data.type=="fs") | .data.user_name' | sort -u`;

const PLANT_EVERY = 4000;
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const NOISE = [
  ['s', 'Successful login'],
  ['s', 'Successful login'],
  ['fp', 'Wrong email or password.'],
  ['fu', 'Wrong email or password.'],
  ['fs', 'Password is too weak'],
  ['sapi', 'Update a User'],
  ['scp', 'Successful change password'],
];

/** One log-stream line. Planted users vary casing and JSON escapes, as real exports do. */
function line(i) {
  const planted = dense || i % PLANT_EVERY === 0;
  const n = dense ? i : planted ? i / PLANT_EVERY : i;
  const email = dense ? `stuck.user${i % DENSE_USERS}@acme.com` : planted ? `stuck.user${n}@acme.com` : `user${n % 50000}@acme.com`;
  const [type, description] = planted ? ['fs', 'The user already exists.'] : NOISE[i % NOISE.length];
  const logId = `9002024050${String(i).padStart(46, '0')}`;
  const data = {
    date: new Date(Date.UTC(2024, 4, 1) + i * 250).toISOString(),
    type,
    description,
    connection: 'legacy-db',
    connection_id: 'con_Lg7cYq2RzX4mB9tK',
    client_id: 'aI61p8I8aFjmYRliLWgvM9ev97kCCNDB',
    client_name: 'Acme Web',
    ip: `81.2.${i % 250}.${(i * 7) % 250}`,
    user_agent: UA,
    details: type.startsWith('f') ? { error: { message: description } } : { prompts: [], stats: { loginsCount: i % 40 } },
    hostname: 'acme.eu.auth0.com',
    user_id: planted || type === 'fu' ? '' : `auth0|${String(n).padStart(24, '0')}`,
    user_name: planted && n % 3 === 1 ? email.toUpperCase() : email,
    strategy: 'auth0',
    strategy_type: 'database',
    log_id: logId,
  };
  let text = JSON.stringify({ log_id: logId, data });
  if (planted && n % 5 === 2) text = text.replace('already exists', 'already\\u0020exists');
  if (planted && n % 7 === 3) text = text.replace('The user already exists.', 'THE USER ALREADY EXISTS.');
  return text;
}

async function generate(mb) {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `stream-${dense ? 'dense-' : ''}${mb}mb.jsonl`);
  if (existsSync(file) && statSync(file).size >= mb * 1e6) return file;
  process.stderr.write(`generating ${file} ...\n`);
  const out = createWriteStream(file, { highWaterMark: 1 << 22 });
  let bytes = 0;
  for (let i = 0; bytes < mb * 1e6; i++) {
    const s = `${line(i)}\n`;
    bytes += s.length;
    if (!out.write(s)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return file;
}

/** Runs a command, timing it and collecting stdout; `rssOf` asks GNU time for the child's peak RSS. */
function timed(cmd, cmdArgs, { rss = false, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const useTime = rss && existsSync('/usr/bin/time');
    const [bin, argv] = useTime ? ['/usr/bin/time', ['-f', '%M', cmd, ...cmdArgs]] : [cmd, cmdArgs];
    const started = process.hrtime.bigint();
    // The launcher runs the `node` on PATH: this one, as the `node bin/unstick.js` runs use.
    const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
    const child = spawn(bin, argv, { cwd: root, env: { ...process.env, PATH, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${cmdArgs.join(' ')} exited ${code}: ${err.slice(-500)}`));
      const peakKb = useTime ? Number(err.trim().split('\n').pop()) : null;
      resolve({ seconds, stdout: Buffer.concat(out).toString('utf8'), peakMb: peakKb ? peakKb / 1024 : null });
    });
  });
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

const best = (xs) => Math.min(...xs);
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
/** Node's own start-up (`node -e 0`, best of 5) with and without NODE_EXTRA_CA_CERTS, where it is set. */
async function nodeStartWithCaCerts() {
  const bundle = process.env.NODE_EXTRA_CA_CERTS;
  if (!bundle || !existsSync(bundle)) return null;
  const start = async (env) => {
    const seconds = [];
    for (let k = 0; k < 5; k++) seconds.push((await timed(process.execPath, ['-e', '0'], { env })).seconds);
    return best(seconds);
  };
  const certificates = readFileSync(bundle, 'latin1').split('-----BEGIN CERTIFICATE-----').length - 1;
  return { certificates, with: await start({}), without: await start({ NODE_EXTRA_CA_CERTS: '' }) };
}
const users = (stdout) => [...new Set(stdout.split('\n').filter(Boolean).map((e) => e.trim().toLowerCase()))].sort();

/** What the default run uses here: the native kernel in prescan threads (with its instruction set), or the WebAssembly one in a worker. */
async function fastestPath() {
  const kernels = await import(new URL('../dist/logs/line-kernel.js', import.meta.url).href);
  const native = kernels.nativeKernelModule();
  if (native) return `native kernel, ${native.isa() === 'avx512' ? 'AVX-512' : 'AVX2'}, prescan threads`;
  return kernels.availableKernels().includes('wasm') ? 'WebAssembly kernel, worker thread' : 'no kernel: JavaScript scanner';
}

async function bench(mb) {
  const file = await generate(mb);
  const size = statSync(file).size;
  const hasJq = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  const jqVersion = hasJq.status === 0 ? hasJq.stdout.trim() : null;
  const load = loadavg()[0];

  const bin = path.join(root, 'bin/unstick.js');
  const cli = ['diagnose', file, '--json'];
  const findings = (r) => JSON.parse(r.stdout).findings.map((f) => f.email).sort();
  // Each kind of run once per round, so a machine that slows down mid-run slows them all alike.
  const times = { native: [], node: [], wasm: [], js: [], grep: [], cat: [] };
  const found = {};
  let grepUsers = null;
  for (let k = 0; k < runs; k++) {
    for (const kernel of ['native', 'wasm', 'js']) {
      const r = await timed(bin, cli, { env: { UNSTICK_SCAN: kernel === 'native' ? '' : kernel } });
      times[kernel].push(r.seconds);
      found[kernel] = findings(r);
    }
    const direct = await timed(process.execPath, [bin, ...cli]);
    times.node.push(direct.seconds);
    found.node = findings(direct);
    if (jqVersion) {
      const g = await timed('sh', ['-c', GREP_PIPELINE(file)]);
      times.grep.push(g.seconds);
      grepUsers = users(g.stdout);
    }
    times.cat.push((await timed('sh', ['-c', `cat '${file}' > /dev/null`])).seconds);
  }
  // Peak RSS of the CLI process (GNU time), in a run of its own.
  const rss = await timed(bin, cli, { rss: true });
  const caCerts = await nodeStartWithCaCerts();
  const ourUsers = found.native;

  let jq = null;
  let jqUsers = null;
  if (jqVersion) {
    const jqTimes = [];
    for (let k = 0; k < Math.min(runs, 2); k++) {
      const r = await timed('jq', ['-r', JQ_FILTER, file]);
      jqTimes.push(r.seconds);
      jqUsers = users(r.stdout);
    }
    jq = best(jqTimes);
  }

  const planted = ourUsers.length;
  const t = best(times.native);
  const grep = jqVersion ? best(times.grep) : null;
  const rate = (s) => `${fmt(s, 2).padStart(6)} s   ${fmt(size / 1e6 / s).padStart(5)} MB/s`;
  console.log(`\n${fmt(size / 1e6)} MB log-stream JSON lines${dense ? `, every line a failed signup of one of ${fmt(DENSE_USERS)} users` : ''} (${path.relative(root, file)}), best of ${runs} runs (jq: ${Math.min(runs, 2)}), load ${fmt(load, 2)}`);
  console.log(`  cat > /dev/null (reading alone)  ${rate(best(times.cat))}`);
  console.log(`  unstick diagnose --json (bin)    ${rate(t)}   ${planted} users   (${await fastestPath()})`);
  console.log(`    node bin/unstick.js            ${rate(best(times.node))}   ${found.node.length} users   (no launcher${caCerts ? '' : '; NODE_EXTRA_CA_CERTS is not set, so the same'})`);
  if (caCerts) console.log(`      (NODE_EXTRA_CA_CERTS names ${caCerts.certificates} certificates: Node starts in ${fmt(caCerts.with * 1000)} ms with it, ${fmt(caCerts.without * 1000)} ms without; the launcher holds it back from a diagnose of files)`);
  console.log(`    UNSTICK_SCAN=wasm              ${rate(best(times.wasm))}   ${found.wasm.length} users`);
  console.log(`    UNSTICK_SCAN=js                ${rate(best(times.js))}   ${found.js.length} users`);
  const kernelsAgree = [found.node, found.wasm, found.js].every((f) => JSON.stringify(f) === JSON.stringify(ourUsers));
  if (!kernelsAgree) process.exitCode = 1;
  if (jq !== null) {
    const same = JSON.stringify(jqUsers) === JSON.stringify(ourUsers);
    const grepMissed = ourUsers.filter((u) => !grepUsers.includes(u)).length;
    const grepExtra = grepUsers.filter((u) => !ourUsers.includes(u)).length;
    console.log(`  grep -iF | jq | sort -u          ${rate(grep)}   ${grepUsers.length} users (${grepMissed} missed${grepExtra ? `, ${grepExtra} unknown to unstick` : ''})`);
    console.log(`  ${jqVersion.padEnd(31)}  ${rate(jq)}   ${jqUsers.length} users`);
    console.log(`  same users: jq ${same ? 'yes' : 'NO'}, every kernel ${kernelsAgree ? 'yes' : 'NO'}`);
    console.log(`  ratio: ${fmt(jq / t, 1)}x jq, ${fmt(grep / t, 2)}x the grep pipeline (target >= 1.00x); ${fmt(best(times.cat) / t, 2)}x cat (stretch 0.50x)`);
    // The machine's speed varies from run to run: the medians say how much the best runs depend on luck.
    console.log(`  medians of the ${runs} runs: unstick ${fmt(median(times.native), 2)} s, grep pipeline ${fmt(median(times.grep), 2)} s (${fmt(median(times.grep) / median(times.native), 2)}x); spread of unstick ${fmt(best(times.native), 2)}-${fmt(Math.max(...times.native), 2)} s, of the grep pipeline ${fmt(grep, 2)}-${fmt(Math.max(...times.grep), 2)} s`);
    if (!same || grepExtra > 0) process.exitCode = 1;
  } else {
    console.log('  jq not found: install it (apt-get install jq) to compare');
  }
  console.log(`  peak RSS of the CLI: ${rss.peakMb === null ? 'n/a (needs /usr/bin/time)' : `${fmt(rss.peakMb)} MB`} ${dense ? '(every record is parsed; the target is for the sparse file)' : '(target < 150 MB)'}`);
}

for (const mb of sizes) await bench(mb);
