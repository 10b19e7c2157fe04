/**
 * What an input is, from its first bytes: gzip (magic bytes), a UTF-8 byte order mark, binary data,
 * JSON or text. Every reader decides the same way: the serial reader, the parallel splitter and
 * openSource.
 */
import { isUtf8 } from 'node:buffer';
import { JsonScanner } from './scanner.js';

/** The control characters looksBinary counts (not tab, LF, FF, CR or ESC), and DEL: each found by memchr. */
const BAD_CONTROLS = [...Array(0x20).keys(), 0x7f].filter((c) => ![0x09, 0x0a, 0x0c, 0x0d, 0x1b].includes(c));
const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

/** Length of a UTF-8 byte order mark at the start of `bytes` (3), or 0. */
export function bomLength(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/** The gzip magic number (RFC 1952): recognised by the bytes, never by the file name. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * True when a sample of an input looks like binary data rather than text: any NUL byte, or more than
 * 10% control characters / invalid UTF-8 sequences.
 */
export function looksBinary(sample: Buffer): boolean {
  if (sample.length === 0) return false;
  if (sample.includes(0)) return true;
  // The usual answer without a character loop (cold, it cost 7 ms of start-up): valid UTF-8 with no
  // control character and no U+FFFD has nothing to count.
  if (isUtf8(sample) && !BAD_CONTROLS.some((b) => sample.includes(b)) && !sample.includes(REPLACEMENT)) return false;
  // stream: true holds back a multi-byte character cut at the end of the sample.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample, { stream: true });
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const control = c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c && c !== 0x1b;
    if (control || c === 0x7f || c === 0xfffd) bad++;
  }
  return text.length > 0 && bad / text.length > 0.1;
}

export type InputKind = 'binary' | 'json' | 'text';

/** Which reader an input needs, judged from its first bytes (decompressed). */
export function sniffKind(sample: Buffer, maxRecordBytes: number): InputKind {
  if (looksBinary(sample)) return 'binary';
  return looksLikeJson(sample, maxRecordBytes) ? 'json' : 'text';
}

/**
 * JSON when it opens like JSON (`{`, or `[` followed by `{` or `]`: `[10:31:07Z] INFO` is text) and
 * most of its first lines scan as JSON: a paste that opens with one pasted 409 body is still text.
 */
function looksLikeJson(sample: Buffer, maxRecordBytes: number): boolean {
  let i = skipSpace(sample, bomLength(sample));
  if (sample[i] === 0x5b) {
    const j = skipSpace(sample, i + 1);
    if (j < sample.length && sample[j] !== 0x7b && sample[j] !== 0x5d) return false;
  } else if (sample[i] !== 0x7b) {
    return false;
  }
  let records = 0;
  let notJson = 0;
  const probe = new JsonScanner(
    {
      record: () => records++,
      malformed: (_line, reason) => {
        if (reason === 'not JSON') notJson++;
      },
    },
    { maxRecordBytes },
  );
  probe.push(sample);
  return notJson <= records;
}

function skipSpace(sample: Buffer, i: number): number {
  while (i < sample.length && (sample[i] === 0x20 || sample[i] === 0x0a || sample[i] === 0x0d || sample[i] === 0x09)) i++;
  return i;
}
