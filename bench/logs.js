#!/usr/bin/env node
// Log-scan benchmark: `npm run bench:logs -- [MB ...] [--runs N]` (default 200 MB, 3 runs each).
// Generates a log-stream JSON-lines file with planted stuck users, runs `npx unstick diagnose --json`
// (as a user runs it, start-up included) and the jq pipeline an engineer would use, checks that both
// found the same users, and prints MB/s, the ratio and the CLI's peak RSS.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.join(root, 'bench', 'out');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
const sizes = args.length ? args.map(Number) : [200];
const JQ_FILTER = 'select(.data.type=="fs" and (.data.description|test("already exists";"i"))) | .data.user_name';

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
  const planted = i % PLANT_EVERY === 0;
  const n = planted ? i / PLANT_EVERY : i;
  const email = planted ? `stuck.user${n}@acme.com` : `user${n % 50000}@acme.com`;
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
  const file = path.join(outDir, `stream-${mb}mb.jsonl`);
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
function timed(cmd, cmdArgs, { rss = false } = {}) {
  return new Promise((resolve, reject) => {
    const useTime = rss && existsSync('/usr/bin/time');
    const [bin, argv] = useTime ? ['/usr/bin/time', ['-f', '%M', cmd, ...cmdArgs]] : [cmd, cmdArgs];
    const started = process.hrtime.bigint();
    const child = spawn(bin, argv, { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
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

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function bench(mb) {
  const file = await generate(mb);
  const size = statSync(file).size;
  const hasJq = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  const jqVersion = hasJq.status === 0 ? hasJq.stdout.trim() : null;

  const ours = [];
  let ourUsers = null;
  for (let k = 0; k < runs; k++) {
    const r = await timed('npx', ['--no-install', 'unstick', 'diagnose', file, '--json']);
    ours.push(r.seconds);
    ourUsers = JSON.parse(r.stdout).findings.map((f) => f.email).sort();
  }
  // Peak RSS of the CLI process itself (npx's own npm process would be measured otherwise).
  const rss = await timed(process.execPath, [path.join(root, 'bin/unstick.js'), 'diagnose', file, '--json'], { rss: true });

  let jq = null;
  let jqUsers = null;
  if (jqVersion) {
    const times = [];
    for (let k = 0; k < runs; k++) {
      const r = await timed('jq', ['-r', JQ_FILTER, file]);
      times.push(r.seconds);
      jqUsers = [...new Set(r.stdout.split('\n').filter(Boolean).map((e) => e.trim().toLowerCase()))].sort();
    }
    jq = median(times);
  }

  const planted = ourUsers.length;
  const t = median(ours);
  const mbs = size / 1e6 / t;
  console.log(`\n${fmt(size / 1e6)} MB log-stream JSON lines (${path.relative(root, file)}), median of ${runs} runs`);
  console.log(`  npx unstick diagnose --json   ${fmt(t, 2).padStart(6)} s   ${fmt(mbs).padStart(5)} MB/s   ${planted} users`);
  if (jq !== null) {
    const same = JSON.stringify(jqUsers) === JSON.stringify(ourUsers);
    console.log(`  ${jqVersion.padEnd(28)}  ${fmt(jq, 2).padStart(6)} s   ${fmt(size / 1e6 / jq).padStart(5)} MB/s   ${jqUsers.length} users`);
    console.log(`  same users found: ${same ? 'yes' : 'NO'}`);
    console.log(`  ratio: ${fmt(jq / t, 1)}x jq (target >= 5x at 500 MB)`);
    if (!same) process.exitCode = 1;
  } else {
    console.log('  jq not found: install it (apt-get install jq) to compare');
  }
  console.log(`  peak RSS of the CLI: ${rss.peakMb === null ? 'n/a (needs /usr/bin/time)' : `${fmt(rss.peakMb)} MB`} (target < 150 MB)`);
}

for (const mb of sizes) await bench(mb);
