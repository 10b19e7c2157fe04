import { readFileSync } from 'node:fs';
import { InputDataError, InputMissingError } from '../errors.js';

/**
 * A legacy export in Auth0's bulk-import schema (a JSON array of users, as `POST /jobs/users-imports`
 * takes it). The re-import is built only from this file, never from `/jobs/{id}/errors`, where Auth0
 * redacts password hashes ("*****"): a re-import built from that would break every password.
 */
export class LegacyExport {
  private constructor(
    readonly file: string,
    private readonly byEmail: Map<string, Record<string, unknown>>,
  ) {}

  static read(file: string): LegacyExport {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputMissingError(file, code === 'ENOENT' ? 'no such file' : (err as Error).message);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const at = /position (\d+)/.exec((err as Error).message)?.[1];
      const line = at === undefined ? undefined : text.slice(0, Number(at)).split('\n').length;
      throw new InputDataError('not valid JSON (a legacy export is a JSON array of users in Auth0\'s import schema)', line ? `${file}:${line}` : file);
    }
    if (!Array.isArray(value)) throw new InputDataError('must be a JSON array of users in Auth0\'s import schema', file);
    const byEmail = new Map<string, Record<string, unknown>>();
    value.forEach((user, i) => {
      if (typeof user !== 'object' || user === null || typeof (user as { email?: unknown }).email !== 'string') {
        throw new InputDataError(`user ${i + 1} has no email`, file);
      }
      const record = user as Record<string, unknown>;
      if (containsRedactedHash(record)) throw new InputDataError(`user ${i + 1} (${String(record.email)}) has a redacted password hash ("*****"): this is a job error report, not the legacy export`, file);
      byEmail.set(String(record.email).trim().toLowerCase(), record);
    });
    return new LegacyExport(file, byEmail);
  }

  record(email: string): Record<string, unknown> | undefined {
    return this.byEmail.get(email);
  }

  /** The user_id Auth0 gives an imported database user: `auth0|` + the file's user_id. */
  ghostId(email: string): string | null {
    const id = this.record(email)?.user_id;
    if (typeof id !== 'string' || id === '') return null;
    return id.startsWith('auth0|') ? id : `auth0|${id}`;
  }
}

function containsRedactedHash(record: Record<string, unknown>): boolean {
  const hash = (record.custom_password_hash as { hash?: { value?: unknown } } | undefined)?.hash?.value;
  return hash === '*****' || record.password_hash === '*****';
}
