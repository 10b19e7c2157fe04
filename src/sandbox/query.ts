import { ApiError } from './contract.js';

/**
 * The Lucene subset Auth0 accepts in `q` (user search v3 and log search): `field:value`,
 * `field:"quoted"`, bare terms (`jane`, `"jane doe"`), wildcards, ranges `[A TO B]` / `{A TO B}`,
 * `_exists_:field`, `AND`, `OR`, `NOT` and parentheses.
 * - User search: a bare term searches the normalized fields; wildcards only as a prefix (`jane*`) or
 *   a suffix of at least 3 characters (`*@acme.com`).
 * - Log search (docs-v2 `log-search-query-syntax.mdx`): every field is case-sensitive and not
 *   tokenized; a bare term matches the whole value of one of `user_name`, `connection`,
 *   `client_name`, `type`, `ip`, `log_id`, `description`; `details.<path>` is searchable; `*` as a
 *   prefix search (`type:s*`) or with at least 3 literal characters (`*already*`), `?` not supported.
 * Anything else is a 400, so a test never passes on a query Auth0 would reject.
 */
export type QueryDomain = 'users' | 'logs';

export type QueryNode =
  | { kind: 'and' | 'or'; left: QueryNode; right: QueryNode }
  | { kind: 'not'; operand: QueryNode }
  | { kind: 'term'; field: string; value: string; wildcard: boolean }
  /** A term without a field: user search matches it against the normalized fields, log search against the bare-term fields. */
  | { kind: 'text'; value: string; wildcard: boolean }
  | { kind: 'range'; field: string; from?: string; to?: string; fromInclusive: boolean; toInclusive: boolean }
  | { kind: 'exists'; field: string };

export interface CompiledQuery {
  node: QueryNode;
  test: (record: Record<string, unknown>) => boolean;
  /** Lowercased email when the query pins one exact email (`email:"x"`, possibly ANDed): use the index. */
  exactEmail?: string;
  /** The connection name when the query pins one (`identities.connection:"x"`, possibly ANDed): use the index. */
  exactConnection?: string;
  /** The whole query is that one indexed term: the index alone answers it, no record needs testing. */
  indexOnly?: boolean;
}

type Scalar = string | number | boolean;

const USER_FIELDS = new Set([
  'email', 'email.domain', 'email_verified', 'name', 'nickname', 'given_name', 'family_name', 'user_id', 'username',
  'phone_number', 'blocked', 'logins_count', 'created_at', 'updated_at', 'last_login',
  'identities.connection', 'identities.provider', 'identities.user_id', 'identities.isSocial',
]);
/** Auth0 normalizes these user fields, so they match case-insensitively; every other field is case-sensitive. */
const NORMALIZED_USER_FIELDS = new Set(['email', 'email.domain', 'name', 'nickname', 'given_name', 'family_name']);
const LOG_FIELDS = new Set([
  'client_id', 'client_name', 'connection', 'connection_id', 'description', 'date', 'hostname', 'ip', 'log_id',
  'organization_id', 'user_id', 'user_name', 'user_agent', 'strategy', 'strategy_type', 'type',
]);
const DATE_FIELDS = new Set(['date', 'created_at', 'updated_at', 'last_login']);

function invalid(message: string): ApiError {
  return new ApiError(400, message, 'invalid_query_string');
}

export function compileQuery(q: string, domain: QueryDomain): CompiledQuery {
  const node = new Parser(q, domain).parse();
  const compiled: CompiledQuery = { node, test: compile(node, domain) };
  if (domain !== 'users') return compiled;
  const exactEmail = findExact(node, 'email');
  const exactConnection = exactEmail === undefined ? findExact(node, 'identities.connection') : undefined;
  if (exactEmail !== undefined) compiled.exactEmail = exactEmail.toLowerCase();
  if (exactConnection !== undefined) compiled.exactConnection = exactConnection;
  if (node.kind === 'term' && (exactEmail !== undefined || exactConnection !== undefined)) compiled.indexOnly = true;
  return compiled;
}

/** Normalized user fields: what a free-text term searches. */
const FREE_TEXT_FIELDS = ['email', 'name', 'given_name', 'family_name', 'nickname'];
/** The log fields a bare term is searched against (docs-v2 `log-search-query-syntax.mdx`, "Fields searchable against bare terms"). */
export const LOG_BARE_TERM_FIELDS = ['user_name', 'connection', 'client_name', 'type', 'ip', 'log_id', 'description'];
/** The least literal characters after a leading `*` (Auth0: `name:*usa` is allowed, `name:*sa` is not). */
const MIN_SUFFIX_LITERAL = 3;

// ---------------------------------------------------------------------------------------------- parsing

type Token = { type: 'lparen' | 'rparen' | 'and' | 'or' | 'not' } | { type: 'clause'; node: QueryNode };

class Parser {
  private tokens: Token[] = [];
  private pos = 0;

  constructor(
    private readonly q: string,
    private readonly domain: QueryDomain,
  ) {}

  parse(): QueryNode {
    if (this.q.trim() === '') throw invalid('Query validation error: the query is empty');
    this.tokens = this.tokenize();
    const node = this.parseOr();
    const rest = this.tokens[this.pos];
    if (rest) throw invalid(`Unsupported query syntax near token ${this.pos + 1}: ${rest.type === 'rparen' ? 'unbalanced ")"' : 'terms must be joined with AND or OR'}`);
    return node;
  }

  private parseOr(): QueryNode {
    let left = this.parseAnd();
    while (this.peek('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): QueryNode {
    let left = this.parseNot();
    while (this.peek('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): QueryNode {
    if (this.peek('not')) {
      this.pos++;
      return { kind: 'not', operand: this.parseNot() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): QueryNode {
    const token = this.tokens[this.pos++];
    if (!token) throw invalid('Unsupported query syntax: the query ends where a term was expected');
    if (token.type === 'clause') return token.node;
    if (token.type === 'lparen') {
      const inner = this.parseOr();
      if (!this.peek('rparen')) throw invalid('Unsupported query syntax: missing ")"');
      this.pos++;
      return inner;
    }
    throw invalid(`Unsupported query syntax: unexpected ${token.type.toUpperCase()}`);
  }

  private peek(type: Token['type']): boolean {
    return this.tokens[this.pos]?.type === type;
  }

  private tokenize(): Token[] {
    const q = this.q;
    const tokens: Token[] = [];
    let i = 0;
    while (i < q.length) {
      const c = q[i]!;
      if (/\s/.test(c)) {
        i++;
      } else if (c === '(' || c === ')') {
        tokens.push({ type: c === '(' ? 'lparen' : 'rparen' });
        i++;
      } else {
        const word = /^(AND|OR|NOT)(?=[\s(]|$)/.exec(q.slice(i));
        if (word) {
          tokens.push({ type: word[1]!.toLowerCase() as 'and' | 'or' | 'not' });
          i += word[1]!.length;
          continue;
        }
        const clause = this.readClause(i);
        tokens.push({ type: 'clause', node: clause.node });
        i = clause.end;
      }
    }
    return tokens;
  }

  private readClause(start: number): { node: QueryNode; end: number } {
    const q = this.q;
    const field = /^([A-Za-z_$][\w.$-]*):/.exec(q.slice(start));
    if (!field) return this.readText(start);
    const name = field[1]!;
    let i = start + field[0].length;
    const c = q[i];
    if (name === '_exists_') {
      const target = /^[\w.$-]+/.exec(q.slice(i))?.[0];
      if (!target) throw invalid('Unsupported query syntax: _exists_ needs a field name');
      this.checkField(target);
      return { node: { kind: 'exists', field: target }, end: i + target.length };
    }
    this.checkField(name);
    if (c === '"') {
      let value = '';
      i++;
      while (i < q.length && q[i] !== '"') {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        value += q[i];
        i++;
      }
      if (i >= q.length) throw invalid(`Unsupported query syntax: unterminated quote after ${name}:`);
      return { node: { kind: 'term', field: name, value, wildcard: false }, end: i + 1 };
    }
    if (c === '[' || c === '{') return this.readRange(name, i);
    const bare = /^[^\s()]+/.exec(q.slice(i))?.[0];
    if (!bare) throw invalid(`Unsupported query syntax: missing value after ${name}:`);
    if (/["[\]{}\\]/.test(bare)) throw invalid(`Unsupported query syntax in value "${bare}" of ${name}: quote values that contain special characters`);
    if (bare === '*') return { node: { kind: 'exists', field: name }, end: i + 1 };
    const wildcard = /[*?]/.test(bare);
    if (wildcard) this.checkWildcard(name, bare);
    return { node: { kind: 'term', field: name, value: bare, wildcard }, end: i + bare.length };
  }

  /** A term without a field: a word or a quoted phrase. User search matches it against the normalized fields. */
  private readText(start: number): { node: QueryNode; end: number } {
    const q = this.q;
    const bare = /^[^\s()]+/.exec(q.slice(start))?.[0] ?? q.slice(start, start + 1);
    if (/^(&&|\|\||[-+!])/.test(bare)) throw invalid(`Unsupported query syntax "${bare}": use AND, OR and NOT`);
    if (q[start] === '"') {
      let value = '';
      let i = start + 1;
      while (i < q.length && q[i] !== '"') {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        value += q[i];
        i++;
      }
      if (i >= q.length) throw invalid('Unsupported query syntax: unterminated quote');
      return { node: { kind: 'text', value, wildcard: false }, end: i + 1 };
    }
    if (/["[\]{}\\:]/.test(bare)) throw invalid(`Unsupported query syntax "${bare}": quote free-text terms that contain special characters`);
    const wildcard = /[*?]/.test(bare);
    if (wildcard) this.checkWildcard(undefined, bare);
    return { node: { kind: 'text', value: bare, wildcard }, end: start + bare.length };
  }

  private readRange(field: string, start: number): { node: QueryNode; end: number } {
    const q = this.q;
    const close = q.slice(start).search(/[\]}]/);
    if (close < 0) throw invalid(`Unsupported query syntax: unterminated range after ${field}:`);
    const body = q.slice(start + 1, start + close);
    const parts = /^\s*(\S+)\s+TO\s+(\S+)\s*$/.exec(body);
    if (!parts) throw invalid(`Unsupported query syntax: a range looks like ${field}:[A TO B]`);
    if (field.startsWith('user_metadata.')) throw invalid('Range searches are not available on user_metadata fields');
    const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');
    const from = unquote(parts[1]!);
    const to = unquote(parts[2]!);
    if (DATE_FIELDS.has(field)) {
      for (const bound of [from, to]) {
        if (bound !== '*' && Number.isNaN(Date.parse(bound))) throw invalid(`Unsupported query syntax: "${bound}" is not a date in the ${field} range`);
      }
    }
    const node: QueryNode = {
      kind: 'range',
      field,
      fromInclusive: q[start] === '[',
      toInclusive: q[start + close] === ']',
      ...(from === '*' ? {} : { from }),
      ...(to === '*' ? {} : { to }),
    };
    return { node, end: start + close + 1 };
  }

  private checkField(field: string): void {
    if (this.domain === 'users') {
      if (USER_FIELDS.has(field) || /^(app_metadata|user_metadata)\.[^.]/.test(field)) return;
      throw invalid(`Unsupported query field "${field}" for users (supported: ${[...USER_FIELDS].join(', ')}, app_metadata.*, user_metadata.*)`);
    }
    // `details.request.channel:"x"` is searchable; a bare `details:` is not (docs-v2 log-search-query-syntax.mdx, Limitations).
    if (LOG_FIELDS.has(field) || /^details\.[^.]/.test(field)) return;
    throw invalid(`Unsupported query field "${field}" for logs (supported: ${[...LOG_FIELDS].join(', ')}, details.*)`);
  }

  /**
   * User search v3: `*` as a prefix search (`jane*`) or a suffix search with at least 3 literal characters (`*@acme.com`).
   * Log search: `*` as a prefix search (`type:s*`); any other use needs at least 3 literal characters
   * (`*already*`, `jane*smith`); `?` is not supported.
   */
  private checkWildcard(field: string | undefined, value: string): void {
    if (this.domain === 'logs') {
      if (value.includes('?')) throw invalid(`Unsupported wildcard "${value}": log search does not support ?`);
      if (/^[^*]+\*$/.test(value)) return;
      if (value.replace(/\*/g, '').length >= MIN_SUFFIX_LITERAL) return;
      throw invalid(`Unsupported wildcard "${value}": log search supports a trailing * (prefix) or wildcards around at least ${MIN_SUFFIX_LITERAL} literal characters`);
    }
    if (field?.startsWith('user_metadata.')) throw invalid('Wildcard searches are not available on user_metadata fields');
    if (/^[^*?]+\*$/.test(value)) return;
    if (/^\*[^*?]+$/.test(value)) {
      if (value.length - 1 >= MIN_SUFFIX_LITERAL) return;
      throw invalid(`Unsupported wildcard "${value}": for suffix matching the literal must have ${MIN_SUFFIX_LITERAL} characters or more`);
    }
    throw invalid(`Unsupported wildcard "${value}": user search supports a trailing * (prefix) or a leading * followed by at least ${MIN_SUFFIX_LITERAL} characters (suffix)`);
  }
}

// ---------------------------------------------------------------------------------------------- evaluation

type Test = (record: Record<string, unknown>) => boolean;

function compile(node: QueryNode, domain: QueryDomain): Test {
  switch (node.kind) {
    case 'and': {
      const l = compile(node.left, domain);
      const r = compile(node.right, domain);
      return (rec) => l(rec) && r(rec);
    }
    case 'or': {
      const l = compile(node.left, domain);
      const r = compile(node.right, domain);
      return (rec) => l(rec) || r(rec);
    }
    case 'not': {
      const inner = compile(node.operand, domain);
      return (rec) => !inner(rec);
    }
    case 'exists': {
      const values = valueReader(node.field);
      return (rec) => values(rec).length > 0;
    }
    case 'term':
      return compileTerm(node.field, node.value, node.wildcard, domain === 'users' && NORMALIZED_USER_FIELDS.has(node.field));
    case 'text':
      return domain === 'logs' ? compileLogText(node.value, node.wildcard) : compileText(node.value, node.wildcard);
    case 'range':
      return compileRange(node);
  }
}

function compileTerm(field: string, value: string, wildcard: boolean, caseInsensitive: boolean): Test {
  const wanted = caseInsensitive ? value.toLowerCase() : value;
  const values = valueReader(field);
  const pattern = wildcard ? wildcardRegExp(wanted) : undefined;
  return (rec) =>
    values(rec).some((v) => {
      const s = caseInsensitive ? String(v).toLowerCase() : String(v);
      return pattern ? pattern.test(s) : s === wanted;
    });
}

/**
 * A free-text term (user search): it matches when one of the normalized fields (email, name,
 * given_name, family_name, nickname; never metadata) equals it ignoring case, or contains it as a
 * word, or as a run of words for a phrase. Words are what lies between non-alphanumerics, so
 * `jane` finds "Jane Doe" and jane.doe@acme.com. A wildcard term matches the whole value or a word.
 */
function compileText(value: string, wildcard: boolean): Test {
  const wanted = value.toLowerCase();
  const readers = FREE_TEXT_FIELDS.map((f) => valueReader(f));
  const pattern = wildcard ? wildcardRegExp(wanted) : undefined;
  const phrase = words(wanted);
  const matches = (s: string): boolean => {
    if (pattern) return pattern.test(s) || words(s).some((w) => pattern.test(w));
    if (s === wanted) return true;
    if (phrase.length === 0) return false;
    const have = words(s);
    for (let i = 0; i + phrase.length <= have.length; i++) if (phrase.every((w, j) => have[i + j] === w)) return true;
    return false;
  };
  return (rec) => readers.some((read) => read(rec).some((v) => matches(String(v).toLowerCase())));
}

/**
 * A bare term in log search: log fields are not tokenized and are case-sensitive, so it matches when
 * one of the bare-term fields equals it (a quoted phrase: the whole phrase) or matches its wildcard.
 */
function compileLogText(value: string, wildcard: boolean): Test {
  return compileOneOf(LOG_BARE_TERM_FIELDS.map((f) => compileTerm(f, value, wildcard, false)));
}

function compileOneOf(tests: Test[]): Test {
  return (rec) => tests.some((t) => t(rec));
}

function words(s: string): string[] {
  return s.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

function wildcardRegExp(value: string): RegExp {
  return new RegExp(`^${value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
}

function compileRange(node: Extract<QueryNode, { kind: 'range' }>): Test {
  const cmp = comparator(node.field);
  const values = valueReader(node.field);
  return (rec) =>
    values(rec).some((v) => {
      if (node.from !== undefined) {
        const c = cmp(v, node.from);
        if (Number.isNaN(c) || c < 0 || (c === 0 && !node.fromInclusive)) return false;
      }
      if (node.to !== undefined) {
        const c = cmp(v, node.to);
        if (Number.isNaN(c) || c > 0 || (c === 0 && !node.toInclusive)) return false;
      }
      return true;
    });
}

/** Returns <0, 0, >0 (or NaN when not comparable) for value versus bound. */
function comparator(field: string): (value: Scalar, bound: string) => number {
  if (DATE_FIELDS.has(field)) return (v, b) => Date.parse(String(v)) - Date.parse(b);
  if (field === 'log_id') return (v, b) => compareDigits(String(v), b);
  return (v, b) => {
    if (typeof v === 'number') return v - Number(b);
    const s = String(v);
    return s < b ? -1 : s > b ? 1 : 0;
  };
}

/** Numeric order of two digit strings of any length, without BigInt. */
export function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Reads every scalar at a dotted path (through arrays, e.g. identities.connection). */
function valueReader(field: string): (rec: Record<string, unknown>) => Scalar[] {
  if (field === 'email.domain') {
    return (rec) => {
      const email = rec.email;
      const at = typeof email === 'string' ? email.lastIndexOf('@') : -1;
      return at >= 0 ? [(email as string).slice(at + 1)] : [];
    };
  }
  const path = field.split('.');
  if (path.length === 1) {
    const key = path[0]!;
    return (rec) => {
      const v = rec[key];
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [v] : v == null ? [] : collectAll(v, [], 0);
    };
  }
  return (rec) => collectAll(rec, path, 0);
}

function collectAll(value: unknown, path: string[], index: number): Scalar[] {
  const out: Scalar[] = [];
  collect(value, path, index, out);
  return out;
}

function collect(value: unknown, path: string[], index: number, out: Scalar[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, path, index, out);
    return;
  }
  if (index === path.length) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out.push(value);
    return;
  }
  if (typeof value === 'object') collect((value as Record<string, unknown>)[path[index]!], path, index + 1, out);
}

/** The value of an exact (non-wildcard) `field:value` term that the whole query requires (alone or ANDed). */
function findExact(node: QueryNode, field: string): string | undefined {
  if (node.kind === 'term' && node.field === field && !node.wildcard) return node.value;
  if (node.kind === 'and') return findExact(node.left, field) ?? findExact(node.right, field);
  return undefined;
}
