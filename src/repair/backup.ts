import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { UserProfile } from '../tenant/types.js';
import { privateDir, writeNewPrivateFile } from './files.js';

export interface BackupRecord {
  format: 'unstick-backup/1';
  taken_at: string;
  tenant: string;
  connection: { id: string; name: string };
  email: string;
  /** The profile exactly as the Management API returned it. */
  profile: Record<string, unknown>;
}

/**
 * Profile backups: one new file per backup (never overwritten), 0600 in a 0700 folder, because a
 * profile is personal data. The file is written and flushed before the profile is deleted.
 */
export class BackupStore {
  constructor(readonly dir: string) {}

  save(input: { tenant: string; connection: { id: string; name: string }; email: string; profile: UserProfile; now: Date }): string {
    privateDir(this.dir);
    const record: BackupRecord = {
      format: 'unstick-backup/1',
      taken_at: input.now.toISOString(),
      tenant: input.tenant,
      connection: input.connection,
      email: input.email,
      profile: input.profile.raw,
    };
    const stamp = input.now.toISOString().replace(/[:.]/g, '-');
    const stem = `${stamp}_${safe(input.email)}_${safe(input.profile.user_id)}`;
    const text = JSON.stringify(record, null, 2) + '\n';
    for (let n = 0; n < 1000; n++) {
      const file = path.join(this.dir, `${stem}${n === 0 ? '' : `.${n}`}.json`);
      if (writeNewPrivateFile(file, text)) return file;
    }
    throw new Error(`cannot create a new backup file in ${this.dir}`);
  }

  /** Backups of one email, oldest first. */
  find(email: string): Array<{ file: string; record: BackupRecord }> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json')).sort();
    } catch {
      return [];
    }
    const out: Array<{ file: string; record: BackupRecord }> = [];
    for (const name of names) {
      if (!name.includes(`_${safe(email)}_`)) continue;
      const file = path.join(this.dir, name);
      try {
        const record = JSON.parse(readFileSync(file, 'utf8')) as BackupRecord;
        if (record.format === 'unstick-backup/1' && record.email === email) out.push({ file, record });
      } catch {
        // not ours, or damaged: never used as a backup
      }
    }
    return out;
  }
}

function safe(value: string): string {
  return value.replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 80);
}
