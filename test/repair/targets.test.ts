import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { csvRow } from '../../src/cli/output.js';
import type { Finding } from '../../src/diagnose/findings.js';
import { csvTable } from '../../src/diagnose/report.js';
import { InputDataError, InterruptedError } from '../../src/errors.js';
import { emailProblem, emptyTargetSummary, MAX_PROBLEMS, readTargets, SINGLE_COLUMN, type TargetRow, type TargetSummary } from '../../src/repair/targets.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/batch');

type Input = string | Buffer | Array<string | Buffer>;

function stream(input: Input): Readable {
  const chunks = (Array.isArray(input) ? input : [input]).map((c) => (typeof c === 'string' ? Buffer.from(c) : c));
  return Readable.from(chunks);
}

async function read(input: Input, options: { column?: string; name?: string } = {}): Promise<{ rows: TargetRow[]; summary: TargetSummary }> {
  const summary = emptyTargetSummary();
  const rows: TargetRow[] = [];
  for await (const row of readTargets(stream(input), { name: options.name ?? 'users.csv', column: options.column }, summary)) rows.push(row);
  return { rows, summary };
}

const emails = (rows: TargetRow[]) => rows.map((r) => r.email);
const lines = (rows: TargetRow[]) => rows.map((r) => [r.line, r.email]);

async function failure(input: Input, options: { column?: string } = {}): Promise<InputDataError> {
  const err = await read(input, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputDataError);
  return err as InputDataError;
}

describe('readTargets: finding the email column', () => {
  it('by header, case-insensitively, under any of its usual names; other columns are ignored', async () => {
    for (const header of ['email', 'Email', 'E-Mail', 'user_email', 'MAIL', 'email_address', 'Email Address']) {
      const { rows, summary } = await read(`id,${header},name\n1,jane@acme.com,Jane\n`);
      expect(emails(rows), header).toEqual(['jane@acme.com']);
      expect(summary.column).toBe(header);
    }
  });

  it('prefers "email" when several columns could be it', async () => {
    const { rows, summary } = await read('mail,email\nold@acme.com,jane@acme.com\n');
    expect(emails(rows)).toEqual(['jane@acme.com']);
    expect(summary.column).toBe('email');
  });

  it('--column NAME, matched case-insensitively, wins over the usual names', async () => {
    const { rows, summary } = await read('email,Contact\nold@acme.com,jane@acme.com\n', { column: 'contact' });
    expect(emails(rows)).toEqual(['jane@acme.com']);
    expect(summary.column).toBe('Contact');
  });

  it('--column naming no header cell throws, listing the header', async () => {
    const err = await failure('id,email,name\n1,jane@acme.com,Jane\n', { column: 'login' });
    expect(err.message).toBe('users.csv:1: --column login: no such column in the header; the columns are "id", "email", "name"');
    expect(err.where).toBe('users.csv:1');
  });

  it('--column with a headerless list throws, saying there is no header', async () => {
    const err = await failure('jane@acme.com\n', { column: 'email' });
    expect(err.message).toBe('users.csv:1: --column email: there is no header row (this line holds an email address, "jane@acme.com")');
    expect(err.hint).toMatch(/leave out --column/);
  });

  it('a single column with no header: the first line is an address', async () => {
    const { rows, summary } = await read('jane@acme.com\n  JOHN@acme.com  \n');
    expect(lines(rows)).toEqual([
      [1, 'jane@acme.com'],
      [2, 'john@acme.com'],
    ]);
    expect(summary.column).toBe(SINGLE_COLUMN);
    expect(summary.rows).toBe(2);
  });

  it('a single column with an email header', async () => {
    const { rows, summary } = await read('Email\njane@acme.com\n');
    expect(lines(rows)).toEqual([[2, 'jane@acme.com']]);
    expect(summary.column).toBe('Email');
  });

  it('several columns and none of them an email column: an error naming them, suggesting --column', async () => {
    const err = await failure('id,login,name\n1,jane@acme.com,Jane\n');
    expect(err.message).toBe('users.csv:1: no email column among "id", "login", "name"');
    expect(err.hint).toMatch(/--column NAME/);
  });

  it('a single column that is neither an address nor an email header', async () => {
    const err = await failure('Addresses\njane@acme.com\n');
    expect(err.message).toBe('users.csv:1: no email column: the only column is "Addresses", neither an email header nor an email address');
    expect(err.hint).toMatch(/--column Addresses/);
  });

  it('several columns of data with no header row', async () => {
    const err = await failure('\n1,jane@acme.com,Jane\n');
    expect(err.message).toBe('users.csv:2: no header row: this line holds email addresses, not column names ("1", "jane@acme.com", "Jane")');
  });

  it('user_name counts only if it holds addresses', async () => {
    const ok = await read('user_name,name\njane@acme.com,Jane\nnot-an-address,x\n');
    expect(emails(ok.rows)).toEqual(['jane@acme.com']);
    expect(ok.summary.column).toBe('user_name');
    expect(ok.summary.invalid).toEqual([{ line: 3, value: 'not-an-address', reason: 'no @' }]);

    const err = await failure('username,name\njdoe,John\njane@acme.com,Jane\n');
    expect(err.message).toBe('users.csv:2: no email column: the header (line 1) has username, but this row holds "jdoe" there, not an email address');
  });

  it('an empty input, or one of blank lines, throws', async () => {
    expect((await failure('')).message).toBe('users.csv: empty: no header row and no email addresses');
    expect((await failure('\n \r\n,,\n')).where).toBe('users.csv');
  });

  it('a header and no rows is fine', async () => {
    const { rows, summary } = await read('email,last_seen\n');
    expect(rows).toEqual([]);
    expect(summary).toMatchObject({ rows: 0, unique: 0, column: 'email' });
  });
});

describe('readTargets: rows', () => {
  it('UTF-8 BOM, CRLF, surrounding spaces, extra and missing columns', async () => {
    const { rows, summary } = await read('\uFEFFEmail,name\r\n  Jane@Acme.com  ,Jane,extra,cells\r\nbob@acme.com\r\n,Nobody\r\n');
    expect(rows).toEqual([
      { email: 'jane@acme.com', line: 2, lastSeen: null, raw: '  Jane@Acme.com  ' },
      { email: 'bob@acme.com', line: 3, lastSeen: null, raw: 'bob@acme.com' },
    ]);
    expect(summary.column).toBe('Email');
    expect(summary.invalid).toEqual([{ line: 4, value: '', reason: 'empty email cell' }]);
  });

  it('a row too short to have the email cell is invalid, not blank', async () => {
    const { rows, summary } = await read('name,email\nJane,jane@acme.com\nBob\n');
    expect(emails(rows)).toEqual(['jane@acme.com']);
    expect(summary.invalid).toEqual([{ line: 3, value: '', reason: 'no email cell: the row has 1 column' }]);
  });

  it('LF, CRLF and lone CR line ends, mixed in one file', async () => {
    const { rows } = await read('email\na@acme.com\r\nb@acme.com\rc@acme.com\n\nd@acme.com');
    expect(lines(rows)).toEqual([
      [2, 'a@acme.com'],
      [3, 'b@acme.com'],
      [4, 'c@acme.com'],
      [6, 'd@acme.com'],
    ]);
  });

  it('a CRLF split across chunks is one line end', async () => {
    const { rows, summary } = await read(['email\r', '\na@acme.com\r', '\n\r', '\nb@acme.com']);
    expect(lines(rows)).toEqual([
      [2, 'a@acme.com'],
      [4, 'b@acme.com'],
    ]);
    expect(summary.blank).toBe(1);
  });

  it('blank lines anywhere are counted and skipped', async () => {
    const { rows, summary } = await read('\n\nemail,name\n\n   \n,\njane@acme.com,Jane\n\n');
    expect(lines(rows)).toEqual([[7, 'jane@acme.com']]);
    expect(summary.blank).toBe(6);
    expect(summary.rows).toBe(1);
  });

  it('quoted fields with commas and newlines; line numbers stay those of the record start', async () => {
    const csv = [
      'email,note,last_seen', // 1
      'jane@acme.com,"two, with a comma",', // 2
      'bob@acme.com,"three', // 3
      'lines', // 4
      'of note",2024-05-02T10:00:00Z', // 5
      '"carol@acme.com","quoted ""email""\r\nwith CRLF",', // 6-7
      '', // 8
      'dave@acme.com,x,', // 9
      '"eve@acme.com,',
      'still one cell",x', // 10-11: an invalid address spanning two lines
      'frank@acme.com', // 12
    ].join('\r\n');
    const { rows, summary } = await read(csv);
    expect(lines(rows)).toEqual([
      [2, 'jane@acme.com'],
      [3, 'bob@acme.com'],
      [6, 'carol@acme.com'],
      [9, 'dave@acme.com'],
      [12, 'frank@acme.com'],
    ]);
    expect(rows[1]!.lastSeen).toBe('2024-05-02T10:00:00.000Z');
    expect(summary.invalid).toEqual([{ line: 10, value: 'eve@acme.com,\nstill one cell', reason: 'contains a line break' }]);
    expect(summary.blank).toBe(1);
  });

  it("strips one spreadsheet apostrophe ('jane@acme.com), as Auth0's CSV export writes text", async () => {
    const { rows, summary } = await read("email,last_seen\n'jane@acme.com,'2024-05-02T10:00:00.000Z\n ' bob@acme.com\n''two@acme.com\n");
    expect(rows.map((r) => [r.email, r.raw, r.lastSeen])).toEqual([
      ['jane@acme.com', "'jane@acme.com", '2024-05-02T10:00:00.000Z'],
      ['bob@acme.com', " ' bob@acme.com", null],
      ["'two@acme.com", "''two@acme.com", null], // only one goes: ' is allowed in an address
    ]);
    expect(summary.invalidCount).toBe(0);
  });

  it('duplicates in any case are yielded once (the first) and counted', async () => {
    const { rows, summary } = await read('email\njane@acme.com\nJANE@acme.com\nbob@acme.com\n jane@ACME.com \n');
    expect(lines(rows)).toEqual([
      [2, 'jane@acme.com'],
      [4, 'bob@acme.com'],
    ]);
    expect(summary).toMatchObject({ rows: 4, unique: 2, duplicates: 2, invalidCount: 0 });
  });

  it('invalid addresses are reported with line and value, skipped and counted; the first 100 kept', async () => {
    const { rows, summary } = await read(
      ['email', 'jane', 'a@b@acme.com', '@acme.com', 'jane@', 'jane doe@acme.com', 'jane@localhost', 'jane@acme..com', '<jane@acme.com>', 'ok@acme.com'].join('\n'),
    );
    expect(emails(rows)).toEqual(['ok@acme.com']);
    expect(summary.invalid).toEqual([
      { line: 2, value: 'jane', reason: 'no @' },
      { line: 3, value: 'a@b@acme.com', reason: 'more than one @' },
      { line: 4, value: '@acme.com', reason: 'nothing before the @' },
      { line: 5, value: 'jane@', reason: 'nothing after the @' },
      { line: 6, value: 'jane doe@acme.com', reason: 'contains a space' },
      { line: 7, value: 'jane@localhost', reason: 'no dot in the domain' },
      { line: 8, value: 'jane@acme..com', reason: 'an empty part in the domain (two dots, or a dot at an end)' },
      { line: 9, value: '<jane@acme.com>', reason: 'contains "<"' },
    ]);
    expect(summary).toMatchObject({ rows: 9, unique: 1, invalidCount: 8 });

    const many = await read(`email\n${Array.from({ length: 150 }, (_, i) => `bad${i}`).join('\n')}\n`);
    expect(many.summary.invalid).toHaveLength(MAX_PROBLEMS);
    expect(many.summary.invalidCount).toBe(150);
    expect(many.summary.invalid[99]).toEqual({ line: 101, value: 'bad99', reason: 'no @' });
  });

  it('accepts only what `unstick repair` accepts', () => {
    const repairCheck = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
    for (const v of ['jane@acme.com', "o'brien+tag@mail.acme.co.uk", '-dash@acme.com', 'jane@acme.com.', 'a"b@acme.com', 'jane@acme', 'j@-.x']) {
      if (emailProblem(v) === null) expect(repairCheck.test(v), v).toBe(true);
    }
  });

  it('a stray quote inside an unquoted cell makes that row invalid, not the file', async () => {
    const { rows, summary } = await read('email,name\nja"ne@acme.com,x\n"bob@acme.com"x,y\ncarol@acme.com,z\n');
    expect(emails(rows)).toEqual(['carol@acme.com']);
    expect(summary.invalid.map((p) => [p.line, p.reason])).toEqual([
      [2, 'contains "\\""'],
      [3, 'contains "\\""'],
    ]);
  });

  it('semicolon- and tab-separated files (European Excel, "Unicode text")', async () => {
    const semi = await read('Name;E-mail;Last seen\n"Doe, Jane";jane@acme.com;2024-05-02 10:00:00\n');
    expect(semi.rows).toEqual([{ email: 'jane@acme.com', line: 2, lastSeen: '2024-05-02T10:00:00.000Z', raw: 'jane@acme.com' }]);
    expect(semi.summary.delimiter).toBe(';');
    const tab = await read('name\temail\nJane, Doe\tjane@acme.com\n');
    expect(emails(tab.rows)).toEqual(['jane@acme.com']);
    expect(tab.summary.delimiter).toBe('\t');
  });

  it('UTF-16 text with a BOM is read', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('email\tname\r\njané@acme.com\tx\r\njane@acme.com\tJane\r\n', 'utf16le')]);
    const { rows, summary } = await read(le);
    expect(lines(rows)).toEqual([
      [2, 'jané@acme.com'], // non-ASCII is allowed, as `unstick repair` allows it
      [3, 'jane@acme.com'],
    ]);
    expect(summary.delimiter).toBe('\t');
  });
});

describe('readTargets: last_seen', () => {
  it('an ISO 8601 date-time becomes UTC ISO; empty or unparsable is null, and unparsable is counted', async () => {
    const { rows, summary } = await read(
      [
        'email,LAST_SEEN',
        'a@acme.com,2024-05-02T13:01:12.480Z',
        'b@acme.com,2024-05-02T15:01:12+02:00',
        'c@acme.com,2024-05-02T13:01',
        'd@acme.com,',
        'e@acme.com,yesterday',
        'f@acme.com,2024-05-02',
        'g@acme.com,2024-02-30T10:00:00Z',
        'h@acme.com',
      ].join('\n'),
    );
    expect(rows.map((r) => r.lastSeen)).toEqual([
      '2024-05-02T13:01:12.480Z',
      '2024-05-02T13:01:12.000Z',
      '2024-05-02T13:01:00.000Z',
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(summary.badLastSeen).toBe(3);
    expect(summary.invalidCount).toBe(0);
  });
});

describe('readTargets: unstick diagnose --csv as input', () => {
  it('reads the file diagnose wrote for examples/logs', async () => {
    const file = readFileSync(path.join(fixtures, 'diagnose.csv'));
    const { rows, summary } = await read(file, { name: 'stuck.csv' });
    expect(summary).toMatchObject({ column: 'email', rows: 6, unique: 6, duplicates: 0, invalidCount: 0, blank: 0, badLastSeen: 0 });
    expect(rows[0]).toEqual({ email: 'olga.ivanova@acme.com', line: 2, lastSeen: '2024-05-02T13:01:12.480Z', raw: 'olga.ivanova@acme.com' });
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(rows.every((r) => r.lastSeen !== null)).toBe(true);
  });

  it("round-trips what the renderer writes, quoting and the formula guard included", async () => {
    const finding = (email: string, connections: string[], lastSeen: string | null): Finding => ({
      email,
      kinds: ['DUPLICATED_USER', 'USER_ALREADY_EXISTS'],
      occurrences: 2,
      firstSeen: DateTime.fromISO('2024-05-01T08:00:00Z'),
      lastSeen: lastSeen ? DateTime.fromISO(lastSeen, { setZone: true }) : null,
      connections,
      evidence: [],
      userIds: [],
    });
    const table = csvTable([
      finding('jane@acme.com', ['legacy-db'], '2024-05-02T14:00:00+02:00'),
      finding('-dash@acme.com', ['=odd,name', 'other'], null), // next_command quoted; email verbatim (no ')
      finding("o'brien@acme.com", ['legacy "db"'], '2024-05-03T00:00:00Z'),
    ]);
    const csv = [csvRow(table.header), ...table.rows.map((r) => csvRow(r, table.verbatim))].join('');
    const { rows, summary } = await read(csv);
    expect(rows.map((r) => [r.line, r.email, r.lastSeen])).toEqual([
      [2, 'jane@acme.com', '2024-05-02T12:00:00.000Z'],
      [3, '-dash@acme.com', null],
      [4, "o'brien@acme.com", '2024-05-03T00:00:00.000Z'],
    ]);
    expect(summary).toMatchObject({ column: 'email', invalidCount: 0, badLastSeen: 0 });
  });
});

describe('readTargets: unusable input', () => {
  it('an unclosed quote at the end: an error at the line the field opens', async () => {
    const err = await failure('email\njane@acme.com\n"bob@acme.com\ncarol@acme.com\ndave@acme.com\n');
    expect(err.message).toBe('users.csv:3: a quoted field starting on this line is never closed (an unbalanced " runs to the end of the input)');
    expect(err.where).toBe('users.csv:3');
  });

  it('a record longer than 1 MiB (a quote left open mid-file) stops the read', async () => {
    const err = await failure(`email\njane@acme.com\n"bob@acme.com\n${'x@acme.com\n'.repeat(120_000)}"\n`);
    expect(err.message).toBe('users.csv:3: a record starting on this line is longer than 1 MiB (an unbalanced "?)');
  });

  it('binary data (a NUL byte) is rejected with its line', async () => {
    const err = await failure(Buffer.concat([Buffer.from('email\njane@acme.com\n'), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x10])]));
    expect(err.message).toBe('users.csv:3: binary data (a NUL byte), not CSV text');
  });

  it('text that is not UTF-8 (Latin-1 from an old Excel) is rejected with its line', async () => {
    const err = await failure(Buffer.from('email\njane@acme.com\r\njos\xe9@acme.com\n', 'latin1'));
    expect(err.message).toBe('users.csv:3: not UTF-8 text (an invalid byte sequence)');
    expect(err.hint).toMatch(/CSV UTF-8/);
  });

  it('UTF-16 without a BOM looks binary', async () => {
    const err = await failure(Buffer.from('email\njane@acme.com\n', 'utf16le'));
    expect(err.message).toBe('users.csv:1: binary data (a NUL byte), not CSV text');
    expect(err.hint).toMatch(/UTF-16/);
  });

  it('gzip, xlsx and xls files are named as such', async () => {
    expect((await failure(gzipSync('email\njane@acme.com\n'))).message).toBe('users.csv:1: gzip-compressed data, not CSV text');
    expect((await failure(Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'))).message).toBe('users.csv:1: a ZIP archive (an .xlsx workbook?), not CSV text');
    expect((await failure(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))).message).toBe('users.csv:1: an Excel 97-2003 workbook, not CSV text');
  });

  it('names stdin as "-"', async () => {
    const err = await read('id,name\n1,x\n', { name: '-' }).catch((e: InputDataError) => e);
    expect((err as InputDataError).where).toBe('-:1');
  });
});

describe('readTargets: streaming', () => {
  it('streams 100,000 rows (with duplicates, invalid, blank, short and multi-line rows), counting right as it goes', async () => {
    const N = 100_000;
    const expected = new Map<string, number>(); // email -> line, for a sample of rows
    let invalid = 0;
    let firstInvalid: { line: number; value: string } | null = null;
    let produced = 0;
    let producedAtFirstRow = -1;
    function* chunks(): Generator<Buffer> {
      let line = 1;
      let batch = 'email,last_seen,note\r\n';
      line++;
      for (let i = 1; i <= N; i++) {
        // every 1000th row repeats the one before in capitals, every 997th is not an address,
        // every 250th has a note on two lines, every 5000th is followed by a blank line
        const email = i % 1000 === 0 ? `USER${i - 1}@ACME.COM` : i % 997 === 0 ? `user${i}-at-acme.com` : `user${i}@acme.com`;
        if (i % 997 === 0) {
          invalid++;
          firstInvalid ??= { line, value: email };
        }
        if (i % 10_007 === 0 || i === N - 1) expected.set(email, line);
        // (rows short of a column are few: csv-parse builds an Error for each, 30 µs)
        batch += i % 250 === 0 ? `${email},2024-05-02T10:00:00.000Z,"two\r\nlines"\r\n` : i % 4999 === 0 ? `${email}\r\n` : `${email},2024-05-02T10:00:00.000Z,\r\n`;
        line += i % 250 === 0 ? 2 : 1;
        if (i % 5000 === 0) {
          batch += '\r\n';
          line++;
        }
        if (batch.length > 60_000) {
          produced++;
          yield Buffer.from(batch);
          batch = '';
        }
      }
      produced++;
      yield Buffer.from(batch);
    }
    const summary = emptyTargetSummary();
    let unique = 0;
    const sampled = new Map<string, number>();
    for await (const row of readTargets(Readable.from(chunks()), { name: 'big.csv' }, summary)) {
      if (producedAtFirstRow === -1) producedAtFirstRow = produced;
      unique++;
      if (summary.unique !== unique) throw new Error(`summary.unique ${summary.unique} after ${unique} rows`);
      if (expected.has(row.email)) sampled.set(row.email, row.line);
      const i = Number(row.email.slice(4, row.email.indexOf('@')));
      if (row.lastSeen !== (i % 4999 === 0 ? null : '2024-05-02T10:00:00.000Z')) throw new Error(`lastSeen ${row.lastSeen} at line ${row.line}`);
    }
    expect(invalid).toBe(100);
    expect(summary).toMatchObject({ rows: N, duplicates: N / 1000, invalidCount: invalid, blank: N / 5000, unique: N - N / 1000 - invalid, badLastSeen: 0 });
    expect(unique).toBe(summary.unique);
    expect(sampled).toEqual(expected);
    expect(summary.invalid[0]).toEqual({ ...firstInvalid!, reason: 'no @' });
    // read as it is produced: the first row comes out long before the last of ~70 chunks goes in
    expect(produced).toBeGreaterThan(50);
    expect(producedAtFirstRow).toBeLessThan(5);
    // Speed is the benchmark's to prove, not a timed assertion here.
  });

  it('yields before the input has ended, and breaking out early destroys the input', async () => {
    const input = new PassThrough();
    input.write('email\njane@acme.com\nbob@acme.com\n');
    const summary = emptyTargetSummary();
    for await (const row of readTargets(input, { name: '-' }, summary)) {
      expect(row.email).toBe('jane@acme.com');
      break;
    }
    expect(input.destroyed).toBe(true);
  });

  it('an abort stops the read with InterruptedError, also while waiting for input', async () => {
    const input = new PassThrough();
    // a record is yielded once the next one has begun: csv-parse reads a byte past each line end
    input.write('email\njane@acme.com\nbob');
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const row of readTargets(input, { name: '-', signal: controller.signal }, emptyTargetSummary())) seen.push(row.email);
    })();
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(seen).toEqual(['jane@acme.com']);
    expect(input.destroyed).toBe(true);

    const aborted = AbortSignal.abort();
    await expect(
      (async () => {
        for await (const _ of readTargets(stream('email\njane@acme.com\n'), { name: 'x', signal: aborted }, emptyTargetSummary())) void _;
      })(),
    ).rejects.toBeInstanceOf(InterruptedError);
  });
});
