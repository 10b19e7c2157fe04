/**
 * `auth0 logs tail` (and `logs list` without --json) prints a table whose rows carry no email. With
 * `--debug` it adds, under each failure's row, the whole record as YAML: go-auth0's `management.Log`
 * marshaled by gopkg.in/yaml.v2 (keys are the Go field names lowercased: `logid`, `username`,
 * `connectionid`, ...; `details` keeps the API's keys), every line indented by a tab
 * (auth0-cli `internal/display/logs.go` `Extras`, `display.go` `indent`).
 *
 * This reads that block: a small parser for the indented `key: value` layout yaml.v2 writes (block
 * mappings, `- ` sequences at the parent's indent or deeper, plain/quoted/folded scalars, `|` and
 * `>` blocks, `{}`/`[]`), not general YAML. Anything it does not understand makes the block
 * unreadable (null), and the caller reads those lines as text.
 */
import { asObj, type Obj } from './values.js';

/** The first line of a record block: yaml.v2 writes the struct's fields in order (`id`, `logid`, `date`, ...). */
export const YAML_RECORD_START = /^\s*(?:\x1b\[[0-9;]*m)*(?:id|logid|log_id|_id|date|type):(?:\s|$)/;

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const EVENT_CODE = /^[a-z][a-z0-9_]{0,40}$/;

/** yaml.v2 key (Go field name lowercased) to the Management API's JSON name. */
const JSON_NAMES: Record<string, string> = {
  id: '_id',
  logid: 'log_id',
  connectionid: 'connection_id',
  organizationid: 'organization_id',
  organizationname: 'organization_name',
  clientid: 'client_id',
  clientname: 'client_name',
  userid: 'user_id',
  username: 'user_name',
  useragent: 'user_agent',
  strategytype: 'strategy_type',
  ismobile: 'isMobile',
  locationinfo: 'location_info',
};

interface Line {
  indent: number;
  text: string;
}

/** Whether `line` can continue a block whose first line had `baseIndent`. */
export function continuesYamlBlock(line: string, baseIndent: number): boolean {
  const clean = line.replace(ANSI, '').trimEnd();
  if (clean.trim() === '') return false;
  const indent = clean.length - clean.trimStart().length;
  if (indent > baseIndent) return true;
  if (indent < baseIndent) return false;
  const t = clean.trimStart();
  return t.startsWith('- ') || t === '-' || /^[^\s#][^]*?:(?:\s|$)/.test(t);
}

export function yamlIndent(line: string): number {
  const clean = line.replace(ANSI, '');
  return clean.length - clean.trimStart().length;
}

/**
 * A YAML block printed by auth0-cli as a flat Auth0 log record with the API's field names, or null
 * when the block is not a log record (or not YAML this parser reads).
 */
export function yamlLogRecord(block: readonly string[]): Obj | null {
  const lines: Line[] = [];
  for (const raw of block) {
    const clean = raw.replace(ANSI, '').trimEnd();
    if (clean.trim() === '') continue;
    const text = clean.trimStart();
    lines.push({ indent: clean.length - text.length, text });
  }
  if (lines.length === 0) return null;
  let value: unknown;
  try {
    const [v, next] = parseNode(lines, 0, lines[0]!.indent);
    if (next !== lines.length) return null;
    value = v;
  } catch {
    return null;
  }
  const o = asObj(value);
  if (!o) return null;
  const rec: Obj = {};
  for (const [k, v] of Object.entries(o)) rec[JSON_NAMES[k] ?? k] = v;
  // auth0-cli prints every field: an event code and the log id.
  const isRecord = typeof rec.type === 'string' && EVENT_CODE.test(rec.type) && (typeof rec.log_id === 'string' || typeof rec._id === 'string');
  return isRecord ? rec : null;
}

class YamlError extends Error {}

/** Parses the node starting at `lines[i]`, whose lines are at `indent`. Returns the value and the next line. */
function parseNode(lines: Line[], i: number, indent: number): [unknown, number] {
  const first = lines[i]!;
  if (isItem(first.text)) return parseSequence(lines, i, indent);
  return parseMapping(lines, i, indent);
}

function isItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

function parseSequence(lines: Line[], i: number, indent: number): [unknown[], number] {
  const out: unknown[] = [];
  while (i < lines.length && lines[i]!.indent === indent && isItem(lines[i]!.text)) {
    const rest = lines[i]!.text.slice(1).trimStart();
    if (rest === '') {
      const next = lines[i + 1];
      if (next && next.indent > indent) {
        const [v, j] = parseNode(lines, i + 1, next.indent);
        out.push(v);
        i = j;
      } else {
        out.push(null);
        i++;
      }
      continue;
    }
    const itemIndent = indent + (lines[i]!.text.length - rest.length);
    if (splitKey(rest) && !/^["']/.test(rest)) {
      // "- key: value" opens a mapping whose keys sit where "key" does.
      const copy = lines.slice();
      copy[i] = { indent: itemIndent, text: rest };
      const [v, j] = parseMapping(copy, i, itemIndent);
      out.push(v);
      i = j;
      continue;
    }
    const [v, j] = parseScalarAt(lines, i, rest, indent);
    out.push(v);
    i = j;
  }
  return [out, i];
}

function parseMapping(lines: Line[], i: number, indent: number): [Obj, number] {
  const out: Obj = {};
  while (i < lines.length && lines[i]!.indent === indent && !isItem(lines[i]!.text)) {
    const kv = splitKey(lines[i]!.text);
    if (!kv) throw new YamlError('not a key');
    const [key, rest] = kv;
    if (rest === '') {
      const next = lines[i + 1];
      if (next && next.indent > indent) {
        const [v, j] = parseNode(lines, i + 1, next.indent);
        out[key] = v;
        i = j;
      } else if (next && next.indent === indent && isItem(next.text)) {
        const [v, j] = parseSequence(lines, i + 1, indent); // yaml.v2 writes a mapping's list at its indent
        out[key] = v;
        i = j;
      } else {
        out[key] = null;
        i++;
      }
      continue;
    }
    const [v, j] = parseScalarAt(lines, i, rest, indent);
    out[key] = v;
    i = j;
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new YamlError('unexpected indentation');
  return [out, i];
}

/** `key: rest` (the key plain or quoted); null when the text is no mapping entry. */
function splitKey(text: string): [string, string] | null {
  const quoted = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(?:\s+(.*))?$/.exec(text);
  if (quoted) return [scalar(quoted[1]!) as string, (quoted[2] ?? '').trim()];
  const plain = /^([^\s"'#\-][^]*?|-[^\s][^]*?):(?:\s+(.*))?$/.exec(text);
  return plain ? [plain[1]!.trim(), (plain[2] ?? '').trim()] : null;
}

/** A scalar that starts with `rest` on line `i` and may fold onto deeper lines. */
function parseScalarAt(lines: Line[], i: number, rest: string, indent: number): [unknown, number] {
  const parts = [rest];
  let j = i + 1;
  if (/^[|>][-+0-9]*$/.test(rest)) {
    const body: Line[] = [];
    while (j < lines.length && lines[j]!.indent > indent) body.push(lines[j++]!);
    const base = body.length ? Math.min(...body.map((l) => l.indent)) : 0;
    const texts = body.map((l) => ' '.repeat(l.indent - base) + l.text);
    const joined = rest.startsWith('|') ? texts.join('\n') : texts.join(' ');
    return [rest.includes('-') ? joined : `${joined}\n`, j];
  }
  // A plain scalar folds onto deeper lines, which cannot hold a mapping entry; a quoted one runs to its quote.
  const quoted = /^["']/.test(rest);
  while (j < lines.length && lines[j]!.indent > indent) {
    const next = lines[j]!.text;
    if (!quoted && (/:(?:\s|$)/.test(next) || isItem(next))) throw new YamlError('a mapping under a scalar');
    parts.push(next);
    j++;
  }
  // Folded continuation lines join with a space; a double-quoted line ending in "\" joins with nothing.
  let text = parts[0]!;
  for (const p of parts.slice(1)) text = text.endsWith('\\') && text.startsWith('"') ? text.slice(0, -1) + p : `${text} ${p}`;
  return [scalar(text), j];
}

function scalar(text: string): unknown {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new YamlError('unterminated string');
    const body = t.slice(1, -1).replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => `\\u00${h}`).replace(/\\\//g, '/');
    try {
      return JSON.parse(`"${body}"`);
    } catch {
      return t.slice(1, -1);
    }
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new YamlError('unterminated string');
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t === '' || t === '~' || /^null$/i.test(t)) return null;
  if (/^true$/i.test(t)) return true;
  if (/^false$/i.test(t)) return false;
  if (t === '{}') return {};
  if (t === '[]') return [];
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(t) && t.length <= 15) return Number(t);
  return t;
}
