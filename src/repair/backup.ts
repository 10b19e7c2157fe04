import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { UserProfile } from '../tenant/types.js';
import { privateDir, processAlive, writeNewPrivateFile } from './files.js';

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
  /** The folder's file names, listed once: a batch of thousands must not list it per user. */
  private listing: string[] | null = null;
  /** Backups already read (find runs before save for the same user). */
  private readonly records = new Map<string, BackupRecord | null>();

  constructor(readonly dir: string) {}

  /**
   * Backs the profile up, or returns the existing backup of exactly this profile (a run resumed after
   * a crash between the backup and the delete does not back the same profile up twice).
   */
  save(input: { tenant: string; connection: { id: string; name: string }; email: string; profile: UserProfile; now: Date }): string {
    const same = this.find(input.email).find((b) => b.record.tenant === input.tenant && isDeepStrictEqual(b.record.profile, input.profile.raw));
    if (same) return same.file;
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
      const name = `${stem}${n === 0 ? '' : `.${n}`}.json`;
      const file = path.join(this.dir, name);
      if (writeNewPrivateFile(file, text)) {
        this.listing?.push(name);
        return file;
      }
    }
    throw new Error(`cannot create a new backup file in ${this.dir}`);
  }

  /** Backups of one email, oldest first. */
  find(email: string): Array<{ file: string; record: BackupRecord }> {
    const out: Array<{ file: string; record: BackupRecord }> = [];
    for (const name of [...this.names(email)].sort()) {
      const file = path.join(this.dir, name);
      if (!this.records.has(file)) {
        try {
          const record = JSON.parse(readFileSync(file, 'utf8')) as BackupRecord;
          this.records.set(file, record.format === 'unstick-backup/1' ? record : null);
        } catch {
          this.records.set(file, null); // not ours, or damaged: never used as a backup
        }
      }
      const record = this.records.get(file);
      if (record && record.email === email) out.push({ file, record });
    }
    return out;
  }

  private names(email: string): string[] {
    if (!this.listing) {
      let all: string[] = [];
      try {
        all = readdirSync(this.dir);
      } catch {
        // no backups yet
      }
      this.listing = all.filter((n) => n.endsWith('.json'));
      // A run killed while writing leaves its aside copy; the real file never appeared, so it goes.
      for (const n of all) {
        const pid = /\.(\d+)\.partial$/.exec(n)?.[1];
        if (pid && !processAlive(Number(pid))) rmSync(path.join(this.dir, n), { force: true });
      }
    }
    // Names are <time>_<email>_<user_id>.json; an email may hold "_" itself, so match the whole part.
    const part = `_${safe(email)}_`;
    return this.listing.filter((n) => n.includes(part));
  }
}

function safe(value: string): string {
  return value.replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 80);
}
