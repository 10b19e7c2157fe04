import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputMissingError } from '../errors.js';
import { isGzip } from './sniff.js';

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
 * Expands file paths, directories (recursively, sorted, following links; hidden files and
 * README/Markdown notes are skipped) and "-" (stdin, at most once). A directory with nothing to
 * read is as good as missing.
 */
export async function expandInputs(specs: readonly string[]): Promise<Source[]> {
  const sources: Source[] = [];
  for (const spec of specs) {
    if (spec === '-') {
      sources.push({ name: '-', path: null, size: null });
      continue;
    }
    const stat = await fsp.stat(spec).catch(() => null);
    if (!stat) throw new InputMissingError(spec);
    if (stat.isDirectory()) {
      const found = await walk(spec, new Set([await fsp.realpath(spec)]));
      if (found.length === 0) throw new InputMissingError(spec, 'a directory with no files to read');
      sources.push(...found);
    } else {
      sources.push({ name: spec, path: spec, size: stat.size });
    }
  }
  return sources;
}

async function walk(dir: string, seen: Set<string>): Promise<Source[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Source[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || isDocumentation(entry.name)) continue; // .git, .DS_Store, README.md
    const full = path.join(dir, entry.name);
    // stat follows symbolic links; an unreadable entry is still listed, so the reader can say why.
    const stat = await fsp.stat(full).catch(() => null);
    if (stat?.isDirectory()) {
      const real = await fsp.realpath(full);
      if (seen.has(real)) continue; // a link back up the tree
      seen.add(real);
      out.push(...(await walk(full, seen)));
    } else if (!stat || stat.isFile()) {
      out.push({ name: full, path: full, size: stat?.size ?? 0 });
    }
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
  /** Releases the file handle and any decompressor, however far reading got. */
  close(): void;
}

const READ_CHUNK = 4 * 1024 * 1024;

/** Opens a source; gzip is recognised by its magic bytes, not the file name. */
export async function openSource(source: Source, stdin: Readable = process.stdin): Promise<OpenedSource> {
  const raw = source.path === null ? stdin : createReadStream(source.path, { highWaterMark: READ_CHUNK });
  const closeRaw = () => {
    if (raw !== stdin) raw.destroy();
  };
  let first: Buffer;
  try {
    first = await peek(raw);
  } catch (err) {
    closeRaw();
    throw err;
  }
  const gzip = isGzip(first);
  const replay = new PassThrough({ highWaterMark: READ_CHUNK });
  if (first.length > 0) replay.write(first);
  if (raw.readableEnded) replay.end();
  else raw.pipe(replay);
  raw.on('error', (err: Error) => replay.destroy(err));
  if (!gzip) {
    return {
      stream: replay,
      gzip,
      close: () => {
        replay.destroy();
        closeRaw();
      },
    };
  }
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  replay.on('error', (err: Error) => gunzip.destroy(err));
  return {
    stream: replay.pipe(gunzip),
    gzip,
    close: () => {
      gunzip.destroy();
      replay.destroy();
      closeRaw();
    },
  };
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

/** One short phrase for a read failure, for the `cannot read:` and `ends early:` messages. */
export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'the file disappeared while reading';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return `corrupt or truncated gzip data (${e.message})`;
    default:
      return e?.message ?? String(err);
  }
}
