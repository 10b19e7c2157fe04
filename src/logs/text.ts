import { findEmail } from './email.js';
import { newEvent } from './event.js';
import { findMarkers } from './markers.js';
import { cap, toUtc } from './values.js';
import type { LogEvent, SourceRef } from './types.js';

// "2024-05-02T10:31:07.412Z", "2024-05-02 10:31:07", with an optional offset, optionally in [brackets].
const ISO_PREFIX =
  /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)\]?(?:\s+|$)/i;
// "10:31:07 AM", "10:31:07.412Z", "[10:31:07.412Z]": a time of day without a date, so no usable time.
const TIME_OF_DAY_PREFIX = /^\[?\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:\s?[AP]M)?Z?\]?(?:\s+|$)/i;
// bunyan "short" output as printed by `wt logs`: "INFO wt: msg" (also "INFO: wt: msg").
const BUNYAN_LEVEL_PREFIX = /^(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL):?\s+[^\s:]+:\s*/;
// After the time, a Lambda console line has the request id and the level: "<uuid>\tINFO\t<message>".
const LAMBDA_PREFIX = /^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\s+(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+/i;
// A raw webtask SSE line: "data: {...bunyan record...}".
const SSE_PREFIX = /^data:\s*(?=\{)/;

/**
 * One line of free text (pasted Real-time Webtask Logs, `wt logs` output, a Lambda's console output,
 * any console output) to a 'console' event, or null when the line carries no stuck-user marker.
 */
export function parseTextLine(line: string, source: SourceRef): LogEvent | null {
  if (typeof line !== 'string') return null;
  let rest = line.replace(/^\uFEFF/, '').trim();
  if (rest === '') return null;
  let timeText: unknown = null;

  if (SSE_PREFIX.test(rest)) {
    const rec = parseSse(rest.replace(SSE_PREFIX, ''));
    if (rec) [rest, timeText] = rec;
  } else {
    const iso = ISO_PREFIX.exec(rest);
    const tod = iso ? null : TIME_OF_DAY_PREFIX.exec(rest);
    if (iso) {
      timeText = iso[1];
      rest = rest.slice(iso[0].length);
    } else if (tod) {
      rest = rest.slice(tod[0].length);
    }
    if (iso || tod) rest = rest.replace(BUNYAN_LEVEL_PREFIX, '');
    if (iso) rest = rest.replace(LAMBDA_PREFIX, '');
  }

  const message = rest.trim();
  const markers = findMarkers(message);
  if (markers.codes.length === 0) return null;
  return newEvent({
    time: toUtc(timeText),
    type: 'console',
    description: cap(message),
    email: findEmail(message),
    codes: markers.codes,
    statusCode: markers.statusCode,
    format: 'text',
    source,
  });
}

function parseSse(json: string): [string, unknown] | null {
  try {
    const rec: unknown = JSON.parse(json);
    if (typeof rec === 'object' && rec !== null && typeof (rec as { msg?: unknown }).msg === 'string') {
      const r = rec as { msg: string; time?: unknown };
      return [r.msg, r.time ?? null];
    }
  } catch {
    // keep the raw line
  }
  return null;
}
