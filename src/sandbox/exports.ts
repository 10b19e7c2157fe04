import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SandboxResponse } from './contract.js';
import type { ExportField, ExportJob } from './jobs.js';

/**
 * Users exports as Auth0 delivers them (docs-v2 `bulk-user-exports.mdx`, auth0/docs
 * `bulk-user-exports.md`): the completed job's `location` is a signed CDN link on another host,
 * `https://user-exports.auth0.com/<job_id>/<tenant>.csv.gz?Expires=…&Key-Pair-Id=…&Signature=…`,
 * valid 60 seconds; GET /jobs/{id} again (within the job's 24 hours) for a fresh one.
 *
 * The sandbox serves the files from a second HTTPS listener (`exportsUrl`, e.g.
 * https://localhost:PORT2 while the API is https://127.0.0.1:PORT). Every read of the completed job
 * signs a new link: `Expires` is the epoch second 60 s after the read (rounded up), on the tenant's
 * clock, and the link works while the clock is before it. The signature is an HMAC-SHA256 of the path
 * and both other parameters under a key made when the tenant loads (a reset makes earlier links fail).
 * Like a CloudFront signed URL the download takes no credentials: an `Authorization` header is refused.
 * The refusals are S3/CloudFront-style XML (`<Error><Code>…</Code><Message>…</Message></Error>`).
 */
export const EXPORT_LINK_TTL_MS = 60_000;
/** A CloudFront key-pair id has this shape ("APKA" and 16 capitals or digits). */
export const EXPORT_KEY_PAIR_ID = 'APKASANDBOXEXPORTS01';
/** Auth0 allows at most 30 fields in a CSV export. */
export const MAX_CSV_FIELDS = 30;
/** Fields that cannot be exported to CSV as whole objects. */
export const CSV_WHOLE_OBJECT_FIELDS = ['user_metadata', 'app_metadata'];

const PATH_PATTERN = /^\/(job_[A-Za-z0-9]{16})\/([a-z0-9][a-z0-9-]*)\.(json|csv)\.gz$/;
/** Dates Auth0 itself writes on a profile: exempt from the CSV string escaping. */
const AUTH0_DATE_FIELDS = new Set(['created_at', 'updated_at', 'last_login', 'last_password_reset']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** What the download listener needs from the tenant. */
export interface ExportSource {
  readonly name: string;
  readonly now: () => number;
  readonly exportsUrl: string;
  readonly exportLinks: ExportSigner;
  settleDueJobs(): void;
  exportJob(id: string): ExportJob | undefined;
}

export class ExportSigner {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  sign(pathname: string, expires: number, keyPairId: string): string {
    const mac = createHmac('sha256', this.key).update(`${pathname}\n${expires}\n${keyPairId}`).digest('base64');
    // CloudFront's URL-safe base64: + → -, = → _, / → ~.
    return mac.replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
  }

  verify(pathname: string, expires: number, keyPairId: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(pathname, expires, keyPairId));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The path of a job's file on the exports host: `/<job_id>/<tenant>.<format>.gz`. */
export function exportPath(tenantName: string, job: ExportJob): string {
  return `/${job.id}/${tenantName}.${job.format}.gz`;
}

/** A fresh signed link to a completed export, valid EXPORT_LINK_TTL_MS from now. */
export function signedExportLocation(source: Pick<ExportSource, 'name' | 'now' | 'exportsUrl' | 'exportLinks'>, job: ExportJob): string {
  const pathname = exportPath(source.name, job);
  const expires = Math.ceil((source.now() + EXPORT_LINK_TTL_MS) / 1000);
  const signature = source.exportLinks.sign(pathname, expires, EXPORT_KEY_PAIR_ID);
  return `${source.exportsUrl}${pathname}?Expires=${expires}&Key-Pair-Id=${EXPORT_KEY_PAIR_ID}&Signature=${signature}`;
}

export interface DownloadRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
}

/** The exports host's answer to one request. */
export function exportDownload(source: ExportSource, req: DownloadRequest): SandboxResponse {
  if (req.headers.authorization !== undefined) {
    // What S3 answers when a request carries a query-string signature and an Authorization header.
    return xmlError(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return xmlError(403, 'MethodNotAllowed', 'This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.');
  }
  const q = req.url.searchParams;
  const expiresText = q.get('Expires');
  const keyPairId = q.get('Key-Pair-Id');
  const signature = q.get('Signature');
  if (keyPairId === null || keyPairId === '') return xmlError(403, 'MissingKey', 'Missing Key-Pair-Id query parameter or cookie value');
  if (expiresText === null || !/^\d+$/.test(expiresText) || signature === null || signature === '') return xmlError(403, 'AccessDenied', 'Access denied');
  const expires = Number(expiresText);
  if (keyPairId !== EXPORT_KEY_PAIR_ID || !source.exportLinks.verify(req.url.pathname, expires, keyPairId, signature)) {
    return xmlError(403, 'AccessDenied', 'Access denied');
  }
  if (source.now() >= expires * 1000) return xmlError(403, 'AccessDenied', 'Request has expired');

  source.settleDueJobs(); // forgets jobs past their 24 hours
  const match = PATH_PATTERN.exec(req.url.pathname);
  const job = match ? source.exportJob(match[1]!) : undefined;
  if (!match || !job?.file || match[2] !== source.name || match[3] !== job.format) {
    return xmlError(404, 'NoSuchKey', 'The specified key does not exist.');
  }
  return {
    status: 200,
    raw: job.file,
    contentType: 'application/gzip',
    headers: { 'content-disposition': `attachment; filename="${match[2]}.${match[3]}.gz"`, 'cache-control': 'private, max-age=0' },
  };
}

function xmlError(status: number, code: string, message: string): SandboxResponse {
  return { status, raw: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`, contentType: 'application/xml' };
}

// ------------------------------------------------------------------------------------------ file format

/** JSON exports are NDJSON: one user object per line. */
export function toNdjson(rows: Record<string, unknown>[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/**
 * CSV as Auth0 writes it ("we escape string data types in conformance with OWASP standards for CSV
 * injection mitigation"): every string is prefixed with `'` and wrapped in double quotes, with `"`
 * doubled; Auth0-generated ISO 8601 dates are exempt. Numbers and booleans are written bare, a
 * missing value is an empty cell, an object or array (say `identities`) is its JSON text, escaped as a
 * string. The header row holds each field's `export_as`, else its name.
 */
export function toCsv(fields: ExportField[], rows: Record<string, unknown>[]): string {
  const keys = fields.map((f) => f.export_as ?? f.name);
  const header = keys.map(headerCell).join(',');
  const lines = rows.map((r) => fields.map((f, i) => csvCell(r[keys[i]!], f.name)).join(','));
  return [header, ...lines].map((line) => `${line}\n`).join('');
}

export function csvCell(value: unknown, fieldName: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && AUTH0_DATE_FIELDS.has(fieldName) && ISO_DATE.test(value)) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `"'${text.replace(/"/g, '""')}"`;
}

function headerCell(name: string): string {
  return /[",\r\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}
