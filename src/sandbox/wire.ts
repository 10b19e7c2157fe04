import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, type SandboxResponse } from './contract.js';

const MAX_BODY = 2 * 1024 * 1024;

/** The request target as a URL; a target no URL parser accepts is a 400, not a crash. */
export function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'https://sandbox');
  } catch {
    throw new ApiError(400, 'Malformed request target', 'invalid_uri');
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, `Payload content length greater than maximum allowed: ${MAX_BODY}.`));
        req.resume();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, r: SandboxResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...r.headers };
  let payload: string | Buffer | undefined;
  if (r.raw !== undefined) {
    payload = r.raw;
    headers['content-type'] = r.contentType ?? 'application/octet-stream';
  } else if (r.status !== 204 && r.body !== undefined) {
    payload = JSON.stringify(r.body);
    headers['content-type'] = r.contentType ?? 'application/json; charset=utf-8';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(r.status, headers);
  res.end(payload);
}

export function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}
