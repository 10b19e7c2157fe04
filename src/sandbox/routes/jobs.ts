import { ApiError, json, type Route, type SandboxRequest } from '../contract.js';
import { CSV_WHOLE_OBJECT_FIELDS, MAX_CSV_FIELDS } from '../exports.js';
import { defaultExportFields, redactedImportUser, type ExportField } from '../jobs.js';
import { CONNECTION_ID_PATTERN } from '../scenario.js';
import type { Connection, SandboxTenant } from '../state.js';
import { logApiOperation, objectBody, payloadError, rejectUnknownKeys, route } from './common.js';
import { connectionNotFound } from './connections.js';

export const MAX_IMPORT_BYTES = 512_000;
const MAX_ACTIVE_IMPORTS = 2;
const JOB_ID_PATTERN = /^job_[A-Za-z0-9]{16}$/;

export function jobRoutes(tenant: SandboxTenant): Route[] {
  return [
    route(tenant, 'POST', '/api/v2/jobs/users-imports', ['create:users'], (req) => createImport(tenant, req)),
    route(tenant, 'POST', '/api/v2/jobs/users-exports', ['read:users'], (req) => createExport(tenant, req)),

    route(tenant, 'GET', '/api/v2/jobs/:id', ['create:users', 'read:users'], (req) => json(200, tenant.jobs.view(findJob(tenant, req)))),

    // 200 with per-user errors, 200 with the job itself when it failed as a whole, 204 when there are none.
    route(tenant, 'GET', '/api/v2/jobs/:id/errors', ['create:users', 'read:users'], (req) => {
      const job = findJob(tenant, req);
      if (job.type !== 'users_import') return { status: 204 };
      if (job.outcome === 'failed') {
        const { type, status, created_at, id, connection_id, status_details } = tenant.jobs.view(job);
        return json(200, { status, type, created_at, id, connection_id, status_details });
      }
      if (job.errors.length === 0) return { status: 204 };
      return json(200, job.errors.map((e) => ({ user: redactedImportUser(e.user), errors: structuredClone(e.errors) })));
    }),
  ];
}

function findJob(tenant: SandboxTenant, req: SandboxRequest) {
  const id = req.params.id ?? '';
  if (!JOB_ID_PATTERN.test(id)) throw new ApiError(400, `Path validation error: 'String does not match pattern ${JOB_ID_PATTERN.source}' on property id`, 'invalid_uri');
  const job = tenant.jobs.get(id);
  if (!job) throw new ApiError(404, 'Job not found.', 'inexistent_job');
  return job;
}

function databaseConnection(tenant: SandboxTenant, connectionId: unknown): Connection {
  if (typeof connectionId !== 'string' || connectionId === '') throw payloadError('Missing required property: connection_id');
  if (!CONNECTION_ID_PATTERN.test(connectionId)) throw payloadError(`String does not match pattern ${CONNECTION_ID_PATTERN.source}`, 'connection_id');
  const connection = tenant.connection(connectionId);
  if (!connection) throw connectionNotFound(400);
  if (connection.strategy !== 'auth0') throw new ApiError(400, 'The connection must be a database connection', 'invalid_body');
  return connection;
}

async function createImport(tenant: SandboxTenant, req: SandboxRequest) {
  const contentType = String(req.headers['content-type'] ?? '');
  if (!contentType.startsWith('multipart/form-data')) throw new ApiError(400, 'Payload validation error: the request must be multipart/form-data', 'invalid_body');
  let form: FormData;
  try {
    form = await new Response(req.body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ApiError(400, 'Payload validation error: invalid multipart/form-data body', 'invalid_body');
  }
  const users = form.get('users');
  if (users === null) throw payloadError('Missing required property: users');
  const usersText = typeof users === 'string' ? users : await users.text();
  if (Buffer.byteLength(usersText, 'utf8') > MAX_IMPORT_BYTES) throw new ApiError(413, `Payload content length greater than maximum allowed: ${MAX_IMPORT_BYTES}.`);

  const field = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const connection = databaseConnection(tenant, field('connection_id'));
  const flag = (name: string, fallback: boolean) => {
    const v = field(name);
    if (v === undefined || v === '') return fallback;
    if (v !== 'true' && v !== 'false') throw payloadError('Expected type boolean but found type string', name);
    return v === 'true';
  };
  const upsert = flag('upsert', false);
  const sendCompletionEmail = flag('send_completion_email', true);
  const externalId = field('external_id');
  if (externalId !== undefined && externalId.length > 128) throw payloadError('String is too long (> 128 chars)', 'external_id');
  if (tenant.jobs.activeImports() >= MAX_ACTIVE_IMPORTS) {
    throw new ApiError(429, `There are ${MAX_ACTIVE_IMPORTS} active import users jobs, please wait until some of them are finished and try again`, 'too_many_requests');
  }

  const job = tenant.jobs.createImport({ connectionId: connection.id, upsert, sendCompletionEmail, usersText, ...(externalId === undefined ? {} : { externalId }) });
  const response = json(202, tenant.jobs.view(job));
  logApiOperation(tenant, req, 'Create import users job', response, {
    connection_id: connection.id,
    upsert,
    send_completion_email: sendCompletionEmail,
    ...(externalId === undefined ? {} : { external_id: externalId }),
  });
  return response;
}

/** 200 "Job created successfully." (not 201, unlike most creates). */
function createExport(tenant: SandboxTenant, req: SandboxRequest) {
  const body = objectBody(req);
  rejectUnknownKeys(body, ['connection_id', 'format', 'limit', 'fields']);
  const connection = body.connection_id === undefined ? undefined : databaseConnection(tenant, body.connection_id);
  const format = body.format ?? 'csv';
  if (format !== 'json' && format !== 'csv') throw payloadError(`No enum match for: "${String(format)}"`, 'format');
  if (body.limit !== undefined && (typeof body.limit !== 'number' || !Number.isInteger(body.limit) || body.limit < 1)) throw payloadError('Expected a positive integer', 'limit');
  const fields = body.fields === undefined ? defaultExportFields(format) : exportFields(body.fields);
  if (format === 'csv') csvFieldRules(fields);
  const job = tenant.jobs.createExport({
    format,
    fields,
    ...(connection ? { connectionId: connection.id, connectionName: connection.name } : {}),
    ...(typeof body.limit === 'number' ? { limit: body.limit } : {}),
  });
  const response = json(200, tenant.jobs.view(job));
  logApiOperation(tenant, req, 'Create export users job', response, body);
  return response;
}

/**
 * Auth0's CSV limits: "Data exports in CSV format are limited to 30 fields" and "cannot include
 * `app_metadata` or `user_metadata` as single objects". Auth0 does not document what it answers; the
 * sandbox refuses the request (400) rather than writing a file without the column.
 */
function csvFieldRules(fields: ExportField[]): void {
  if (fields.length > MAX_CSV_FIELDS) throw payloadError(`Array is too long (${fields.length}), maximum ${MAX_CSV_FIELDS}`, 'fields');
  const i = fields.findIndex((f) => CSV_WHOLE_OBJECT_FIELDS.includes(f.name));
  if (i >= 0) {
    throw payloadError(`CSV exports cannot include ${fields[i]!.name} as a single object: name its fields (${fields[i]!.name}.<field>), or export in JSON format`, `fields[${i}].name`);
  }
}

function exportFields(value: unknown): ExportField[] {
  if (!Array.isArray(value) || value.length === 0) throw payloadError('Expected a non-empty array', 'fields');
  return value.map((f, i) => {
    if (typeof f !== 'object' || f === null || typeof (f as ExportField).name !== 'string') throw payloadError('Missing required property: name', `fields[${i}]`);
    const { name, export_as } = f as ExportField;
    if (export_as !== undefined && typeof export_as !== 'string') throw payloadError('Expected type string', `fields[${i}].export_as`);
    return export_as === undefined ? { name } : { name, export_as };
  });
}
