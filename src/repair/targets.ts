import { Readable, addAbortSignal, pipeline, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { CsvError, Parser } from 'csv-parse';
import { DateTime } from 'luxon';
import { InputDataError, InterruptedError } from '../errors.js';

/**
 * The "affected users" file of `unstick batch <file.csv|->`, read as a stream: one row per email
 * address, each once, with the line it starts on. Only a Set of the emails seen is kept, so a file of
 * any length is read in bounded memory (a single record is capped at 1 MiB).
 *
 * What it takes: `unstick diagnose --csv` output (email first, a last_seen column), a spreadsheet or
 * Auth0 user export with an email column found by its header, or one email address per line with no
 * header. UTF-8 (with or without a BOM) or UTF-16 with a BOM; CRLF, LF or CR line ends; comma,
 * semicolon or tab separated (sniffed from the first line). Blank lines, invalid addresses and
 * duplicates are counted in the summary and skipped; only a file that cannot be read as a table of
 * addresses throws (InputDataError, `where` = "name:line").
 */

export interface TargetRow {
  /** Trimmed and lowercased (Auth0 stores database emails that way). */
  email: string;
  /** 1-based line where the record starts (a quoted field may span lines). */
  line: number;
  /** From a last_seen column, normalized to UTC ISO 8601 ("2024-05-02T11:11:48.903Z"); null when absent, empty or unparsable. */
  lastSeen: string | null;
  /** The email cell as written (spaces, a spreadsheet's leading apostrophe, original case). */
  raw: string;
}

export interface TargetProblem {
  line: number;
  /** The cell as written, cut to 200 characters. */
  value: string;
  reason: string;
}

export interface TargetSummary {
  /** Data rows that were not blank (the header is not a row): unique + duplicates + invalidCount. */
  rows: number;
  /** Rows yielded: distinct valid emails. */
  unique: number;
  /** Rows whose email (in any case) was already yielded; merged into the first. */
  duplicates: number;
  /** The first MAX_PROBLEMS invalid rows. */
  invalid: TargetProblem[];
  invalidCount: number;
  /** Lines or records with nothing but spaces and separators, anywhere in the file. */
  blank: number;
  /** The header cell used, as written; '(single column)' for a headerless list; '' before it is known. */
  column: string;
  /** Non-empty last_seen cells that are not an ISO 8601 date-time (yielded with lastSeen null). */
  badLastSeen: number;
  /** The field separator found on the first line. */
  delimiter: ',' | ';' | '\t';
}

export interface ReadTargetsOptions {
  /** For messages: the file path as given, or "-" for stdin. */
  name: string;
  /** --column: the email column's header, matched case-insensitively. */
  column?: string;
  signal?: AbortSignal;
}

export const SINGLE_COLUMN = '(single column)';
export const MAX_PROBLEMS = 100;
export const MAX_RECORD_BYTES = 1024 * 1024;

export function emptyTargetSummary(): TargetSummary {
  return { rows: 0, unique: 0, duplicates: 0, invalid: [], invalidCount: 0, blank: 0, column: '', badLastSeen: 0, delimiter: ',' };
}

/**
 * Yields each distinct valid email once, in file order, filling `summary` (reset first) as it goes;
 * its counts are final when the generator finishes. Throws InputDataError for an unusable input and
 * InterruptedError when `signal` aborts. Breaking out of the loop early destroys `input`.
 * A row is yielded once the next line has begun or the input has ended (csv-parse reads one byte
 * past each line end), which matters only for a person typing into stdin.
 */
export async function* readTargets(input: Readable, options: ReadTargetsOptions, summary: TargetSummary): AsyncGenerator<TargetRow> {
  const { name, signal } = options;
  Object.assign(summary, emptyTargetSummary());
  if (signal?.aborted) throw new InterruptedError();

  const seen = new Set<string>();
  let layout: Layout | null = null;
  let headerLine = 0;
  // The line each record starts on, counted here rather than taken from csv-parse: its `info` costs
  // as much again as the parse itself, and counts a CRLF inside quotes as two lines. decodeText turns
  // every line end into "\n", blank lines are records too (skip_empty_lines off), and the parser keeps
  // cells as written, so a record spans 1 + (the "\n" inside its cells) lines.
  let next = 1;
  let parser: RecordParser | null = null;
  // Aborting destroys the input, which wakes whichever stage is waiting on it.
  if (signal) addAbortSignal(signal, input);
  try {
    const text = decodeText(input, name);
    const { head, delimiter } = await sniffDelimiter(text);
    summary.delimiter = delimiter;
    parser = new RecordParser({
      bom: true,
      delimiter,
      record_delimiter: '\n',
      relax_column_count: true,
      relax_quotes: true, // a stray " inside an unquoted cell stays in the cell, and that row is reported invalid
      skip_empty_lines: false,
      max_record_size: MAX_RECORD_BYTES,
    });
    pipeline(Readable.from(prepend(head, text), { objectMode: false }), parser, () => {
      // errors reach the loop below through the parser
    });
    for await (const cells of parser as AsyncIterable<string[]>) {
      if (signal?.aborted) throw new InterruptedError();
      const line = next;
      next += span(cells);
      if (isBlank(cells)) {
        summary.blank++;
        continue;
      }
      if (layout === null) {
        layout = findLayout(cells, line, options);
        summary.column = layout.column;
        headerLine = line;
        if (layout.header) continue;
      }
      summary.rows++;
      const cell = cells[layout.email];
      if (cell === undefined) {
        problem(summary, line, '', `no ${layout.header ? `${layout.column} ` : ''}cell: the row has ${count(cells.length, 'column')}`);
        continue;
      }
      const value = stripApostrophe(cell);
      const reason = value === '' ? 'empty email cell' : emailProblem(value);
      if (layout.confirm && value !== '') {
        // a user_name column counts as the email column only if its first value is an address
        if (reason !== null) {
          throw new InputDataError(
            `no email column: the header (line ${headerLine}) has ${layout.column}, but this row holds ${quote(cell)} there, not an email address`,
            `${name}:${line}`,
            { hint: 'name the column that holds the addresses with --column NAME' },
          );
        }
        layout.confirm = false;
      }
      if (reason !== null) {
        problem(summary, line, cell, reason);
        continue;
      }
      const email = value.toLowerCase();
      if (seen.has(email)) {
        summary.duplicates++;
        continue;
      }
      seen.add(email);
      summary.unique++;
      let lastSeen: string | null = null;
      if (layout.lastSeen !== -1) {
        const seenCell = stripApostrophe(cells[layout.lastSeen] ?? '');
        if (seenCell !== '') {
          lastSeen = isoUtc(seenCell);
          if (lastSeen === null) summary.badLastSeen++;
        }
      }
      yield { email, line, lastSeen, raw: cell };
    }
    // the parser ends its output at a syntax error, so every record before it was read and counted
    if (parser.failure) throw csvError(parser.failure, name, next);
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    throw err;
  } finally {
    // after an early break or a thrown error: the pipeline then closes the feed, the decoder and the input
    if (parser && !parser.destroyed) parser.destroy();
    if (!input.destroyed) input.destroy();
  }
  if (signal?.aborted) throw new InterruptedError();
  if (layout === null) {
    throw new InputDataError('empty: no header row and no email addresses', name, {
      hint: 'give a CSV file with an email column, or one email address per line',
    });
  }
}

// ---- the email column

interface Layout {
  /** Index of the email cell. */
  email: number;
  /** Index of the last_seen cell, or -1. */
  lastSeen: number;
  column: string;
  /** The first record is a header (otherwise it is the first email of a one-column list). */
  header: boolean;
  /** A user_name column, used only if the first data row holds an email address there. */
  confirm: boolean;
}

/** Normalized header names (lowercase, no spaces, "_" or "-") in order of preference. */
const EMAIL_HEADERS = ['email', 'emailaddress', 'useremail', 'mail'];
const USERNAME_HEADER = 'username';
const LAST_SEEN_HEADER = 'lastseen';

function headerKey(cell: string): string {
  return cell.trim().toLowerCase().replace(/[\s_-]+/g, '');
}

function findLayout(cells: string[], line: number, options: ReadTargetsOptions): Layout {
  const where = `${options.name}:${line}`;
  const names = cells.map((c) => c.trim());
  const keys = cells.map(headerKey);
  const lastSeen = keys.indexOf(LAST_SEEN_HEADER);
  const looksLikeData = names.some((c) => emailProblem(stripApostrophe(c)) === null);
  const singleEmail = names.length === 1 && looksLikeData;

  if (options.column !== undefined) {
    const wanted = options.column.trim().toLowerCase();
    const index = names.findIndex((n) => n.toLowerCase() === wanted);
    if (index !== -1) return { email: index, lastSeen, column: names[index]!, header: true, confirm: false };
    if (looksLikeData) {
      throw new InputDataError(`--column ${options.column}: there is no header row (this line holds an email address, ${quote(cells.find((c) => emailProblem(stripApostrophe(c)) === null)!)})`, where, {
        hint: names.length === 1 ? 'leave out --column: a one-column list of addresses needs no header' : 'add a header line naming the columns',
      });
    }
    throw new InputDataError(`--column ${options.column}: no such column in the header; the columns are ${columnList(names)}`, where);
  }

  for (const key of EMAIL_HEADERS) {
    const index = keys.indexOf(key);
    if (index !== -1) return { email: index, lastSeen, column: names[index]!, header: true, confirm: false };
  }
  if (singleEmail) return { email: 0, lastSeen: -1, column: SINGLE_COLUMN, header: false, confirm: false };
  const username = keys.indexOf(USERNAME_HEADER);
  if (username !== -1) return { email: username, lastSeen, column: names[username]!, header: true, confirm: true };

  if (looksLikeData) {
    throw new InputDataError(`no header row: this line holds email addresses, not column names (${columnList(names)})`, where, {
      hint: 'add a header line naming the columns, with "email" for the addresses',
    });
  }
  if (names.length === 1) {
    throw new InputDataError(`no email column: the only column is ${quote(cells[0]!)}, neither an email header nor an email address`, where, {
      hint: `a list with no header must start with an address; if ${quote(names[0]!)} names the email column, pass --column ${shellArg(names[0]!)}`,
    });
  }
  throw new InputDataError(`no email column among ${columnList(names)}`, where, {
    hint: 'name the column that holds the addresses with --column NAME (or call it "email")',
  });
}

/** `"email", "kinds" and 5 more`: at most 12 names, each quoted. */
function columnList(names: string[]): string {
  const shown = names.slice(0, 12).map((n) => (n === '' ? '(empty)' : quote(n)));
  return names.length > 12 ? `${shown.join(', ')} and ${names.length - 12} more` : shown.join(', ');
}

// ---- cells

/** Auth0's CSV export (and spreadsheets) write a text cell as 'value: one leading apostrophe goes. */
function stripApostrophe(cell: string): string {
  const v = cell.trim();
  return v.startsWith("'") ? v.slice(1).trim() : v;
}

function isBlank(cells: string[]): boolean {
  return cells.every((c) => c.trim() === '');
}

// Characters that cannot appear in an unquoted address; quoted local parts ("a b"@x.com) are not taken.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>()[\]\\,;:"\u0000-\u001f\u007f]/;
/** The common case in one test: what the checks below accept. */
// eslint-disable-next-line no-control-regex
const PLAIN_EMAIL = /^[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]+@(?:[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f.]+\.)+[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f.]+$/;

/**
 * Why a trimmed value is not an email address, or null. Everything accepted here also passes
 * `unstick repair`'s own check (something@something.tld, no spaces), so a batch never takes an
 * address the single-user command would refuse.
 */
export function emailProblem(value: string): string | null {
  if (PLAIN_EMAIL.test(value)) return null;
  if (/[\r\n]/.test(value)) return 'contains a line break';
  if (/\s/.test(value)) return 'contains a space';
  const parts = value.split('@');
  if (parts.length === 1) return 'no @';
  if (parts.length > 2) return 'more than one @';
  const [local, domain] = parts as [string, string];
  if (local === '') return 'nothing before the @';
  if (domain === '') return 'nothing after the @';
  const bad = FORBIDDEN.exec(value);
  if (bad) return `contains ${JSON.stringify(bad[0])}`;
  if (!domain.includes('.')) return 'no dot in the domain';
  if (domain.split('.').some((label) => label === '')) return 'an empty part in the domain (two dots, or a dot at an end)';
  return null;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const CANONICAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** An ISO 8601 date-time ("T" or a space between date and time; no offset means UTC) as UTC ISO; null otherwise. */
export function isoUtc(value: string): string | null {
  // the form diagnose writes, checked without luxon (which takes 10 µs a value)
  const c = CANONICAL.exec(value);
  if (c) {
    const [y, m, d, h, min, sec] = c.slice(1).map(Number) as [number, number, number, number, number, number];
    return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m) && h < 24 && min < 60 && sec < 60 ? value : null;
  }
  if (!ISO_DATE_TIME.test(value)) return null;
  const t = DateTime.fromISO(value.replace(' ', 'T'), { zone: 'utc' });
  return t.isValid ? t.toUTC().toISO() : null;
}

function problem(summary: TargetSummary, line: number, value: string, reason: string): void {
  summary.invalidCount++;
  if (summary.invalid.length < MAX_PROBLEMS) summary.invalid.push({ line, value: value.length > 200 ? `${value.slice(0, 200)}…` : value, reason });
}

// ---- bytes to text

/**
 * The input as UTF-8 text with LF line ends. Rejects compressed, spreadsheet and binary data and
 * anything that is not UTF-8 (or UTF-16 with a BOM), naming the line. A BOM is dropped.
 */
async function* decodeText(input: Readable, name: string): AsyncGenerator<string> {
  let decoder: TextDecoder | null = null;
  let head: Buffer = Buffer.alloc(0);
  let line = 1; // the line the next text starts on, for messages
  let pendingCR = false;

  const binary = (at: number) =>
    new InputDataError('binary data (a NUL byte), not CSV text', `${name}:${at}`, { hint: 'if this is UTF-16 text, save it as UTF-8' });

  const text = (chunk: Buffer, final: boolean): string => {
    // before decoding, so that binary data is called binary rather than bad UTF-8
    const zero = decoder!.encoding === 'utf-8' ? chunk.indexOf(0) : -1;
    if (zero !== -1) {
      const before = new TextDecoder().decode(chunk.subarray(0, zero)).replace(/\r\n?/g, '\n');
      throw binary(line + newlines(before, before.length));
    }
    let s: string;
    try {
      s = decoder!.decode(chunk, { stream: !final });
    } catch {
      const before = new TextDecoder(decoder!.encoding).decode(chunk);
      const at = before.indexOf('\uFFFD');
      throw new InputDataError(
        `not ${decoder!.encoding === 'utf-8' ? 'UTF-8' : decoder!.encoding.toUpperCase()} text (an invalid byte sequence)`,
        `${name}:${line + newlines(before.replace(/\r\n?/g, '\n'), at === -1 ? before.length : at)}`,
        { hint: 'save the file as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)")' },
      );
    }
    if (pendingCR) s = `\r${s}`;
    pendingCR = !final && s.endsWith('\r');
    if (pendingCR) s = s.slice(0, -1);
    s = s.replace(/\r\n?/g, '\n');
    const nul = s.indexOf('\0');
    if (nul !== -1) throw binary(line + newlines(s, nul));
    line += newlines(s, s.length);
    return s;
  };

  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    if (decoder === null) {
      head = head.length === 0 ? buf : Buffer.concat([head, buf]);
      if (head.length < 4) continue;
      decoder = pickDecoder(head, name);
      const s = text(head, false);
      if (s !== '') yield s;
      continue;
    }
    const s = text(buf, false);
    if (s !== '') yield s;
  }
  if (decoder === null) {
    if (head.length === 0) return;
    decoder = pickDecoder(head, name);
    const s = text(head, true);
    if (s !== '') yield s;
    return;
  }
  const s = text(Buffer.alloc(0), true);
  if (s !== '') yield s;
}

function pickDecoder(head: Buffer, name: string): TextDecoder {
  const where = `${name}:1`;
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) throw new InputDataError('gzip-compressed data, not CSV text', where, { hint: 'decompress it first (gunzip)' });
  if (starts(0x50, 0x4b, 0x03, 0x04)) {
    throw new InputDataError('a ZIP archive (an .xlsx workbook?), not CSV text', where, { hint: 'save the sheet as "CSV UTF-8 (Comma delimited)"' });
  }
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) throw new InputDataError('an Excel 97-2003 workbook, not CSV text', where, { hint: 'save the sheet as "CSV UTF-8 (Comma delimited)"' });
  try {
    // TextDecoder drops the BOM it is named after
    if (starts(0xff, 0xfe)) return new TextDecoder('utf-16le', { fatal: true });
    if (starts(0xfe, 0xff)) return new TextDecoder('utf-16be', { fatal: true });
  } catch {
    throw new InputDataError('UTF-16 text this Node.js cannot decode', where, { hint: 'save the file as UTF-8' });
  }
  return new TextDecoder('utf-8', { fatal: true });
}

/** The number of "\n" in s before index `end`. */
function newlines(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1 && i < end; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Reads text until the first line with content (or 64 KiB) and picks the separator from it: a comma
 * if it has one outside quotes, else a tab, else a semicolon (European Excel's "CSV"), else a comma.
 * Emails contain none of the three, so a one-column list is read right whatever it picks.
 */
async function sniffDelimiter(text: AsyncGenerator<string>): Promise<{ head: string; delimiter: ',' | ';' | '\t' }> {
  let head = '';
  let first: string | null = null;
  while (first === null && head.length < 65536) {
    const next = await text.next();
    if (next.done) break;
    head += next.value;
    first = head.split('\n').slice(0, -1).find((l) => l.trim() !== '') ?? null;
  }
  const line = (first ?? head.split('\n').find((l) => l.trim() !== '') ?? '').replace(/"[^"]*"/g, '');
  const delimiter = line.includes(',') ? ',' : line.includes('\t') ? '\t' : line.includes(';') ? ';' : ',';
  return { head, delimiter };
}

async function* prepend(head: string, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  if (head !== '') yield head;
  yield* rest;
}

/**
 * csv-parse's stream, except that a syntax error ends the output instead of destroying the stream:
 * the records parsed before it are still read (and their lines counted), then `failure` is set.
 */
class RecordParser extends Parser {
  failure: CsvError | null = null;

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.failure) return callback();
    super._transform(chunk, encoding, (err) => this.settle(err, callback));
  }

  override _flush(callback: TransformCallback): void {
    if (this.failure) return callback();
    super._flush((err) => this.settle(err, callback));
  }

  private settle(err: Error | null | undefined, callback: TransformCallback): void {
    if (!(err instanceof CsvError)) return callback(err);
    this.failure = err;
    this.push(null);
    callback();
  }
}

/** How many lines a record spans: 1 plus the line breaks inside its (quoted) cells. */
function span(cells: string[]): number {
  let n = 1;
  for (const cell of cells) {
    for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) n++;
  }
  return n;
}

function csvError(err: CsvError, name: string, line: number): InputDataError {
  const where = `${name}:${line}`;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new InputDataError('a quoted field starting on this line is never closed (an unbalanced " runs to the end of the input)', where, {
        hint: 'a " that is part of a value must be doubled ("") inside a quoted field',
      });
    case 'CSV_MAX_RECORD_SIZE':
      return new InputDataError(`a record starting on this line is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB (an unbalanced "?)`, where, {
        hint: 'a " that is part of a value must be doubled ("") inside a quoted field',
      });
    default:
      return new InputDataError(`not valid CSV: ${err.message}`, where, { cause: err });
  }
}

// ---- wording

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

function shellArg(value: string): string {
  return /^[A-Za-z0-9._@-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

function count(n: number, one: string): string {
  return `${n} ${n === 1 ? one : `${one}s`}`;
}
