// Deliberately simple: good enough to pull an address out of a log line, not an RFC 5322 validator.
const LOCAL = "[A-Za-z0-9._%+'-]+";
const DOMAIN = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}';
const EMAIL_IN_TEXT = new RegExp(`(?<![A-Za-z0-9._%+'-])${LOCAL}@${DOMAIN}(?![A-Za-z0-9-])`);
const EMAIL_EXACT = new RegExp(`^${LOCAL}@${DOMAIN}$`);

/** Lowercases and trims a value if it is an email address; null otherwise. */
export function normalizeEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  return EMAIL_EXACT.test(v) && !v.startsWith('.') ? v : null;
}

/** The first email address in free text, normalized; null when there is none. */
export function findEmail(text: string): string | null {
  if (typeof text !== 'string') return null;
  const m = EMAIL_IN_TEXT.exec(text);
  return m ? m[0].replace(/^[.']+/, '').toLowerCase() : null;
}
