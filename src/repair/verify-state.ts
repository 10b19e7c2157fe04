import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { privateDir } from './files.js';

/** What `unstick verify` last found for a connection: `disconnect` refuses until it is 100 %. */
export interface VerifyResult {
  format: 'unstick-verify/1';
  at: string;
  tenant: string;
  connection: { id: string; name: string };
  input: string;
  totals: { expected: number; migrated: number; notMigrated: number; stuck: number; duplicated: number; percent: number; invalid?: number };
}

function file(stateDir: string, tenant: string, connectionId: string): string {
  return path.join(stateDir, 'verify', `${tenant.replace(/[^\w.-]/g, '_')}_${connectionId}.json`);
}

export function saveVerifyResult(stateDir: string, result: VerifyResult): string {
  const target = file(stateDir, result.tenant, result.connection.id);
  privateDir(path.dirname(target));
  const aside = `${target}.${process.pid}.tmp`;
  writeFileSync(aside, JSON.stringify(result, null, 2) + '\n', { mode: 0o600 });
  renameSync(aside, target);
  return target;
}

export function readVerifyResult(stateDir: string, tenant: string, connectionId: string): VerifyResult | null {
  try {
    const r = JSON.parse(readFileSync(file(stateDir, tenant, connectionId), 'utf8')) as VerifyResult;
    return r.format === 'unstick-verify/1' ? r : null;
  } catch {
    return null;
  }
}
