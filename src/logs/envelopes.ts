/**
 * Auth0 records as other systems hand them over: AWS captures of the EventBridge stream (an SQS
 * `receive-message`, CloudWatch Logs events, a Logs Insights export) and the documents of Elastic's
 * Auth0 integration. Each reader unwraps its envelope and reads what it carries again, so every
 * Auth0 shape works inside every envelope.
 */
import { inner, isFlat, flatToEvent, recordsIn, type ReadValue, type Reader, type RecordContext, type RecordResult } from './normalize.js';
import { parseTextLine } from './text.js';
import type { LogEvent, LogFormat, SourceRef } from './types.js';
import { asObj, toUtc, type Obj } from './values.js';

// ---- AWS -----------------------------------------------------------------------------------

/** `aws sqs receive-message`: `{Messages: [{MessageId, ReceiptHandle, Body: "<event JSON>", Attributes?}]}`. */
export const sqsMessages: Reader = (o, source, ctx, again) => {
  if (!Array.isArray(o.Messages)) return null;
  const messages = o.Messages.map(asObj).filter((m): m is Obj => !!m && typeof m.Body === 'string');
  if (messages.length === 0 && o.Messages.length > 0) return null;
  return capture(
    messages.map((m) => ({ text: m.Body as string, time: asObj(m.Attributes)?.SentTimestamp })),
    source,
    ctx,
    again,
  );
};

/**
 * CloudWatch Logs events: `aws logs filter-log-events` / `get-log-events` output and exports
 * (`{events: [{timestamp, message, ...}]}`), and subscription payloads (`{logEvents: [...]}`).
 * A message is the event JSON (a rule targeting a log group) or a Lambda's console line.
 */
export const cloudWatchEvents: Reader = (o, source, ctx, again) => {
  const list = Array.isArray(o.events) ? o.events : Array.isArray(o.logEvents) ? o.logEvents : null;
  if (!list) return null;
  const entries = list
    .map(asObj)
    .filter((e): e is Obj => !!e && typeof e.message === 'string' && ('timestamp' in e || 'ingestionTime' in e));
  if (entries.length === 0 && list.length > 0) return null;
  return capture(
    entries.map((e) => ({ text: e.message as string, time: e.timestamp })),
    source,
    ctx,
    again,
  );
};

/** A CloudWatch Logs Insights result row, as its JSON export writes them: `{"@timestamp", "@message"}`. */
export const insightsRow: Reader = (o, source, ctx, again) => {
  if (typeof o['@message'] !== 'string' || !('@timestamp' in o)) return null;
  return capture([{ text: o['@message'], time: o['@timestamp'] }], source, ctx, again);
};

interface Captured {
  text: string;
  /** When the envelope says the message was logged: the time of a console line that has none. */
  time: unknown;
}

/**
 * Messages that carry an EventBridge event (or any Auth0 record) as JSON, possibly inside an SNS
 * notification, or console lines that print one; other lines are read as text. The result has the
 * format of the records found, else `eventbridge`, the stream these captures come from.
 */
function capture(messages: Captured[], source: SourceRef, ctx: RecordContext, again: ReadValue): RecordResult | null {
  const innerCtx = inner(ctx);
  if (!innerCtx) return null;
  let format: LogFormat | null = null;
  const events: LogEvent[] = [];
  for (const m of messages) {
    const r = readMessage(m, source, innerCtx, again);
    if (r.format !== 'text') format ??= r.format;
    events.push(...r.events);
  }
  return { format: format ?? 'eventbridge', events };
}

function readMessage(m: Captured, source: SourceRef, ctx: RecordContext, again: ReadValue): RecordResult {
  const t = m.text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    let value: unknown = undefined;
    try {
      value = JSON.parse(t);
    } catch {
      // not JSON as a whole: look inside
    }
    const o = asObj(value);
    // SNS delivers to SQS as {Type: "Notification", Message: "<event JSON>"}.
    if (o && o.Type === 'Notification' && typeof o.Message === 'string') {
      const deeper = inner(ctx);
      if (deeper) return readMessage({ text: o.Message, time: o.Timestamp ?? m.time }, source, deeper, again);
    }
    const r = value === undefined ? null : again(value, source, ctx);
    if (r) return r;
  }
  const embedded = recordsIn(t, source, ctx, again);
  if (embedded) return { format: embedded[0]?.format ?? 'eventbridge', events: embedded };
  const events: LogEvent[] = [];
  for (const line of t.split('\n')) {
    const e = parseTextLine(line, source);
    if (e) events.push(e.time ? e : { ...e, time: toUtc(m.time) });
  }
  return { format: 'text', events };
}

// ---- Elastic -------------------------------------------------------------------------------

/**
 * A document of Elastic's Auth0 integration (`packages/auth0`, data stream `auth0.logs`): the
 * record under `auth0.logs.data`. Its ingest pipeline moves `user_name` to ECS `user.name`,
 * `user_id` to `user.id` and `log_id` to `event.id`, and replaces the event code in `type` with its
 * description ("User signup failed"); older versions kept the code and `auth0.logs.log_id`.
 */
export const elasticDocument: Reader = (o, source) => {
  const logs = asObj(asObj(o.auth0)?.logs);
  const data = asObj(logs?.data);
  if (!data) return null;
  const user = asObj(o.user);
  const ev = asObj(o.event);
  const rec: Obj = {
    ...data,
    type: eventCode(data.type, ev?.action),
    user_name: data.user_name ?? user?.name,
    user_id: data.user_id ?? user?.id,
    log_id: data.log_id ?? logs?.log_id ?? ev?.id,
    date: data.date ?? o['@timestamp'],
  };
  if (!isFlat(rec, true)) return null;
  return { format: 'elastic', events: [flatToEvent(rec, 'elastic', source)] };
};

/** A hit as elasticdump or `GET index/_doc/id` writes it: `{_index, _id, _source}`. */
export const elasticHit: Reader = (o, source, ctx, again) => {
  const doc = asObj(o._source);
  if (!doc || typeof o._index !== 'string') return null;
  return elasticDocument(doc, source, ctx, again);
};

/** An Elasticsearch `_search` response: `{hits: {hits: [{_source}]}}`. */
export const elasticSearch: Reader = (o, source, ctx, again) => {
  const hits = asObj(o.hits)?.hits;
  if (!Array.isArray(hits)) return null;
  const events: LogEvent[] = [];
  let known = 0;
  for (const hit of hits) {
    const doc = asObj(asObj(hit)?._source);
    const r = doc ? elasticDocument(doc, source, ctx, again) : null;
    if (!r) continue;
    known++;
    events.push(...r.events);
  }
  if (known === 0 && hits.length > 0) return null;
  return { format: 'elastic', events };
};

/** The Auth0 event code for the integration's descriptions (its ingest pipeline's table, reversed). */
const CODE_BY_DESCRIPTION = new Map(
  Object.entries({
    f: 'Failed login',
    fp: 'Incorrect password',
    fu: 'Invalid email or username',
    fs: 'User signup failed',
    ss: 'Success Signup',
    s: 'Successful login',
    w: 'Warnings during login',
    fcoa: 'Failed cross-origin authentication',
    scoa: 'Successful cross-origin authentication',
    fens: 'Failed native social login',
    sens: 'Successful native social login',
    fsa: 'Failed silent authentication',
    ssa: 'Successful silent authentication',
    flo: 'User logout failed',
    slo: 'User successfully logged out',
    fapi: 'Failed Management API operation',
    sapi: 'Successful Management API operation',
    mgmt_api_read: 'API GET operation returning secrets completed successfully',
    api_limit: 'The maximum number of requests to the Authentication or Management APIs in given time has reached',
    fui: 'Failed to import users',
    sui: 'Successfully imported users',
    fce: 'Failed to change user email',
    sce: 'Successfully changed user email',
    fcp: 'Failed to change password',
    scp: 'Successfully changed password',
    fcpr: 'Failed change password request',
    scpr: 'Successful change password request',
    fcu: 'Failed to change username',
    scu: 'Successfully changed username',
    fdu: 'Failed user deletion',
    sdu: 'User successfully deleted',
    du: 'User has been deleted',
    fn: 'Failed to send email notification',
    fv: 'Failed to send verification email',
    sv: 'Sent verification email',
    fvr: 'Failed to process verification email request',
    svr: 'Successfully processed verification email request',
    limit_wc: 'An IP address is blocked with 10 failed login attempts into a single account from the same IP address',
    limit_mu: 'An IP address is blocked with 100 failed login attempts using different usernames',
    depnote: 'Deprecation Notice',
  }).map(([code, description]) => [description.toLowerCase(), code]),
);

function eventCode(type: unknown, action: unknown): unknown {
  if (typeof type !== 'string') return type;
  const code = CODE_BY_DESCRIPTION.get(type.trim().toLowerCase());
  if (code) return code;
  // A code the pipeline does not know is kept, with event.action "unknown-<code>".
  if (typeof action === 'string' && action.startsWith('unknown-')) return action.slice('unknown-'.length);
  return type;
}

