import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputMissingError, UsageError } from '../errors.js';

/** One input as the user named it: a file (found directly or inside a directory) or stdin. */
export interface Source {
  /** What messages call it: the path as given, or "-" for stdin. */
  name: string;
  /** null for stdin. */
  path: string | null;
  /** Bytes on disk (compressed size for .gz); null for stdin. */
  size: number | null;
}

/**
 * Expands file paths, directories (recursively, sorted; hidden files and README/Markdown notes are
 * skipped) and "-" (stdin, at most once).
 */
export async function expandInputs(specs: readonly string[]): Promise<Source[]> {
  if (specs.filter((s) => s === '-').length > 1) throw new UsageError('"-" (stdin) can be given only once');
  const sources: Source[] = [];
  for (const spec of specs) {
    if (spec === '-') {
      sources.push({ name: '-', path: null, size: null });
      continue;
    }
    const stat = await fsp.stat(spec).catch(() => null);
    if (!stat) throw new InputMissingError(spec);
    if (stat.isDirectory()) sources.push(...(await walk(spec)));
    else sources.push({ name: spec, path: spec, size: stat.size });
  }
  return sources;
}

async function walk(dir: string): Promise<Source[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Source[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || isDocumentation(entry.name)) continue; // .git, .DS_Store, README.md
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push({ name: full, path: full, size: (await fsp.stat(full)).size });
  }
  return out;
}

/** Notes that sit beside logs in a folder; a file named on the command line is always read. */
function isDocumentation(name: string): boolean {
  return /\.(md|markdown|rst|adoc)$/i.test(name) || /^readme(\..*)?$/i.test(name);
}

export interface OpenedSource {
  stream: Readable;
  gzip: boolean;
}

const READ_CHUNK = 4 * 1024 * 1024;

/** Opens a source; gzip is recognised by its magic bytes, not the file name. */
export async function openSource(source: Source, stdin: Readable = process.stdin): Promise<OpenedSource> {
  const raw = source.path === null ? stdin : createReadStream(source.path, { highWaterMark: READ_CHUNK });
  const first = await peek(raw);
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const replay = new PassThrough({ highWaterMark: READ_CHUNK });
  if (first.length > 0) replay.write(first);
  if (raw.readableEnded) replay.end();
  else raw.pipe(replay);
  raw.on('error', (err: Error) => replay.destroy(err));
  if (!gzip) return { stream: replay, gzip };
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  replay.on('error', (err: Error) => gunzip.destroy(err));
  return { stream: replay.pipe(gunzip), gzip };
}

/** Reads the first chunk without losing it (the caller writes it back in front). */
function peek(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (chunk: Buffer) => {
      stream.off('error', reject);
      stream.off('end', onEnd);
      stream.pause();
      resolve(chunk);
    };
    const onEnd = () => done(Buffer.alloc(0));
    stream.once('error', reject);
    stream.once('end', onEnd);
    stream.once('data', (chunk: Buffer | string) => done(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
  });
}
