import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputDataError, InputMissingError } from '../errors.js';
import type { BackupRecord } from './backup.js';

export type Metadata = Record<string, unknown>;
export interface MetadataSource {
  email: string;
  /** For a backup: the tenant and connection it was taken on (a restore elsewhere is refused). */
  tenant?: string;
  connectionId?: string;
  user_metadata: Metadata;
  app_metadata: Metadata;
  /** Where it came from (a backup file, an export's line). */
  from: string;
}

export interface MetadataPatch {
  user_metadata?: Metadata;
  app_metadata?: Metadata;
}

/**
 * Only the first-level keys the profile lacks, values whole (nested objects are sent as they are:
 * Auth0 merges only the first level). Never a key the profile has, never `{}` (which Auth0 reads as
 * "clear the metadata"): an empty result means nothing to send. Pure.
 */
export function missingKeys(current: { user_metadata: Metadata; app_metadata: Metadata }, source: { user_metadata: Metadata; app_metadata: Metadata }): MetadataPatch {
  const patch: MetadataPatch = {};
  for (const kind of ['user_metadata', 'app_metadata'] as const) {
    // Auth0 refuses field names with "." or "$" (the Action skips them too).
    const missing = Object.entries(source[kind]).filter(([k, v]) => !(k in current[kind]) && v !== null && v !== undefined && !/[.$]/.test(k));
    if (missing.length > 0) patch[kind] = Object.fromEntries(missing.map(([k, v]) => [k, structuredClone(v)]));
  }
  return patch;
}

export function patchKeys(patch: MetadataPatch): { user_metadata: string[]; app_metadata: string[] } {
  return { user_metadata: Object.keys(patch.user_metadata ?? {}), app_metadata: Object.keys(patch.app_metadata ?? {}) };
}

/**
 * Repair backups (a file or a folder of them), one source per email: the keys of all its backups,
 * a newer backup's value winning.
 */
export function readBackups(target: string): MetadataSource[] {
  let files: string[];
  try {
    files = statSync(target).isDirectory() ? readdirSync(target).filter((n) => n.endsWith('.json')).sort().map((n) => path.join(target, n)) : [target];
  } catch {
    throw new InputMissingError(target);
  }
  const byEmail = new Map<string, MetadataSource>();
  for (const file of files) {
    let record: BackupRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as BackupRecord;
    } catch {
      throw new InputDataError('not a JSON backup written by unstick repair', file);
    }
    if (record.format !== 'unstick-backup/1') throw new InputDataError('not a backup written by unstick repair (format unstick-backup/1)', file);
    const p = record.profile as { user_metadata?: Metadata; app_metadata?: Metadata };
    const prev = byEmail.get(record.email);
    byEmail.set(record.email, {
      email: record.email,
      tenant: record.tenant,
      connectionId: record.connection?.id,
      user_metadata: { ...(prev?.user_metadata ?? {}), ...(p.user_metadata ?? {}) },
      app_metadata: { ...(prev?.app_metadata ?? {}), ...(p.app_metadata ?? {}) },
      from: file,
    });
  }
  return [...byEmail.values()];
}

/**
 * A legacy export: a JSON array (Auth0's import schema: email, user_metadata, app_metadata) or a CSV
 * with an email column and either `user_metadata` / `app_metadata` columns holding JSON objects, or
 * `user_metadata.<key>` / `app_metadata.<key>` columns (one key each).
 */
export function readLegacyMetadata(file: string): MetadataSource[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputMissingError(file);
  }
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  const out: MetadataSource[] = [];
  if (trimmed.startsWith('[')) {
    let users: unknown;
    try {
      users = JSON.parse(trimmed);
    } catch (err) {
      throw new InputDataError(`not valid JSON (${(err as Error).message})`, file);
    }
    (users as Array<Record<string, unknown>>).forEach((u, i) => {
      if (typeof u?.email !== 'string') throw new InputDataError(`user ${i + 1} has no email`, file);
      out.push({ email: u.email.trim().toLowerCase(), user_metadata: object(u.user_metadata), app_metadata: object(u.app_metadata), from: `${file}#${i + 1}` });
    });
    return out;
  }
  const rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
  for (const { record, info } of rows) {
    const where = `${file}:${info.lines}`;
    const emailKey = Object.keys(record).find((k) => /^e-?mail$/i.test(k.trim()));
    if (!emailKey) throw new InputDataError('no email column', file);
    const email = (record[emailKey] ?? '').replace(/^'/, '').trim().toLowerCase();
    if (!email) continue;
    const source: MetadataSource = { email, user_metadata: {}, app_metadata: {}, from: where };
    for (const [column, raw] of Object.entries(record)) {
      const m = /^(user_metadata|app_metadata)(?:\.(.+))?$/.exec(column.trim());
      if (!m || raw === undefined || raw === '') continue;
      const kind = m[1] as 'user_metadata' | 'app_metadata';
      if (m[2]) source[kind][m[2]] = cell(raw);
      else {
        try {
          source[kind] = { ...source[kind], ...object(JSON.parse(raw)) };
        } catch {
          throw new InputDataError(`${column} is not a JSON object`, where);
        }
      }
    }
    out.push(source);
  }
  return out;
}

function object(v: unknown): Metadata {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Metadata) : {};
}

/** A CSV cell: JSON when it reads as JSON (numbers, booleans, objects), else the text. */
function cell(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
