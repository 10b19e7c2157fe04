import { describe, expect, it } from 'vitest';
import { JsonScanner } from '../../src/logs/scanner.js';
import { prng as rng } from '../../scripts/prng.js';

interface Rec {
  text: string;
  line: number;
  inArray: boolean;
  candidate: boolean;
}

function scan(input: string | Buffer, chunkSizes: number[] | null = null, maxRecordBytes = 4 * 1024 * 1024) {
  const records: Rec[] = [];
  const malformed: Array<{ line: number; reason: string }> = [];
  const scanner = new JsonScanner(
    {
      record: (bytes, line, inArray, candidate) => records.push({ text: bytes.toString('utf8'), line, inArray, candidate }),
      malformed: (line, reason) => malformed.push({ line, reason }),
    },
    { maxRecordBytes },
  );
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  if (!chunkSizes) scanner.push(buf);
  else {
    // One reused buffer for every chunk, as the readers do: the scanner must copy what it keeps. It
    // starts at an odd byte offset in its memory, so the two-bytes-at-a-time path meets misalignment.
    const reused = Buffer.alloc(Math.max(...chunkSizes) + 1).subarray(1);
    let at = 0;
    for (let k = 0; at < buf.length; k++) {
      const size = Math.min(chunkSizes[k % chunkSizes.length]!, buf.length - at);
      buf.copy(reused, 0, at, at + size);
      scanner.push(reused.subarray(0, size));
      reused.fill(0x41); // poison: stale views would now read "AAAA"
      at += size;
    }
  }
  scanner.end();
  return { records, malformed };
}

const ndjson = (objs: unknown[]) => objs.map((o) => JSON.stringify(o)).join('\n') + '\n';

describe('JsonScanner: record boundaries', () => {
  it('splits NDJSON into records with their 1-based lines', () => {
    const { records, malformed } = scan(ndjson([{ a: 1 }, { b: { c: [1, 2] } }, { d: 'x}y' }]));
    expect(malformed).toEqual([]);
    expect(records.map((r) => [r.line, JSON.parse(r.text)])).toEqual([
      [1, { a: 1 }],
      [2, { b: { c: [1, 2] } }],
      [3, { d: 'x}y' }],
    ]);
    expect(records.every((r) => !r.inArray)).toBe(true);
  });

  it('yields the elements of a top-level array, pretty-printed or on one line', () => {
    const pretty = JSON.stringify([{ type: 'fs' }, { type: 's', details: { x: [1] } }], null, 2);
    const { records } = scan(pretty);
    expect(records.map((r) => [r.line, r.inArray, JSON.parse(r.text).type])).toEqual([
      [2, true, 'fs'],
      [5, true, 's'],
    ]);
    const oneLine = scan(JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]));
    expect(oneLine.records.map((r) => JSON.parse(r.text).a)).toEqual([1, 2, 3]);
    expect(scan('[]').records).toEqual([]);
  });

  it('yields concatenated pretty objects (auth0 logs tail --json) one by one', () => {
    const text = [{ type: 'fs', n: 1 }, { type: 'fp', n: 2 }].map((o) => JSON.stringify(o, null, 2)).join('\n');
    const { records, malformed } = scan(text);
    expect(malformed).toEqual([]);
    expect(records.map((r) => [r.line, JSON.parse(r.text).n])).toEqual([
      [1, 1],
      [5, 2],
    ]);
  });

  it('keeps a container object whole (the include_totals page)', () => {
    const { records } = scan(JSON.stringify({ start: 0, limit: 2, length: 2, total: 2, logs: [{ a: 1 }, { a: 2 }] }));
    expect(records).toHaveLength(1);
    expect(JSON.parse(records[0]!.text).logs).toHaveLength(2);
  });

  it('skips a UTF-8 byte order mark and CRLF line ends', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\r\n{"a":2}\r\n')]);
    const { records, malformed } = scan(input);
    expect(malformed).toEqual([]);
    expect(records.map((r) => [r.line, JSON.parse(r.text).a])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('gives the same records and lines however the input is chunked', () => {
    const objs = Array.from({ length: 40 }, (_, i) => ({
      i,
      description: i % 7 === 0 ? 'The user already exists.' : 'Successful login',
      details: { s: 'q\\"{[', n: [i, { k: 'v' }] },
    }));
    const input = ndjson(objs) + JSON.stringify(objs.slice(0, 5), null, 1) + '\n';
    const whole = scan(input);
    for (const sizes of [[1], [2, 3], [7], [64, 1, 13], [4096]]) {
      expect(scan(input, sizes)).toEqual(whole);
    }
    expect(whole.records).toHaveLength(45);
  });

  it('decides whether a new line starts the next record the same way when a chunk ends at that newline', () => {
    // A truncated element of a pretty array: the line after it opens the next element.
    const input = '[\n  {"a": 1,\n  {"b": 2},\n    {"c": 3}\n]\n';
    const whole = scan(input);
    expect(whole.malformed).toEqual([{ line: 2, reason: 'truncated: the next record starts before it ends' }]);
    for (let cut = 1; cut < input.length; cut++) {
      const sizes = [cut, input.length];
      expect(scan(input, sizes), `cut after ${JSON.stringify(input.slice(0, cut))}`).toEqual(whole);
    }
  });
});

describe('JsonScanner: malformed records are counted, with their line, and never stop the scan', () => {
  it('a truncated line without any marker, in the middle of NDJSON', () => {
    const input = '{"a":1}\n{"type":"s","description":"Successful lo\n{"a":3}\n';
    const { records, malformed } = scan(input);
    expect(malformed).toEqual([{ line: 2, reason: 'truncated: the line ends inside it' }]);
    expect(records.map((r) => r.line)).toEqual([1, 3]);
  });

  it('a truncated line that happens to end with a closing brace', () => {
    const input = '{"a":1}\n{"type":"s","details":{"x":1}}\n{"type":"s","details":{"x":1}\n{"a":4}\n';
    const { records, malformed } = scan(input);
    expect(malformed).toEqual([{ line: 3, reason: 'truncated: the line ends inside it' }]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('a truncated last line (the input ends inside the record)', () => {
    const { records, malformed } = scan('{"a":1}\n{"a":2,"b":"unfinis');
    expect(records).toHaveLength(1);
    expect(malformed).toEqual([{ line: 2, reason: 'truncated: the input ends inside it' }]);
  });

  it('binary junk, a wrong closing bracket, a raw control byte in a string', () => {
    const junk = Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a]);
    const input = Buffer.concat([
      Buffer.from('{"a":1}\n'),
      junk,
      Buffer.from('{"a":[1}\n{"a":"x\u0001y"}\n{"a":@}\n{"a":5}\n'),
    ]);
    const { records, malformed } = scan(input);
    expect(records.map((r) => JSON.parse(r.text).a)).toEqual([1, 5]);
    expect(malformed.map((m) => m.line)).toEqual([2, 3, 4, 5]);
    expect(malformed[0]!.reason).toBe('not JSON');
    expect(malformed[2]!.reason).toBe('control byte inside a string');
  });

  it('a record over the size limit is reported without being buffered, then scanning goes on', () => {
    const big = `{"type":"s","description":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    const input = `{"a":1}\n${big}\n{"a":3}\n`;
    const { records, malformed } = scan(input, [1024 * 1024], 4 * 1024 * 1024);
    expect(records.map((r) => r.line)).toEqual([1, 3]);
    expect(malformed).toEqual([{ line: 2, reason: 'record larger than 4 MiB' }]);
  });

  it('garbage between records in an unterminated array', () => {
    const { records, malformed } = scan('[{"a":1},\n{"a":2}');
    expect(records).toHaveLength(2);
    expect(malformed.map((m) => m.reason)).toEqual(['unterminated top-level array']);
  });
});

describe('JsonScanner: the fast path misses no marker', () => {
  const WORDS = ['already exists', 'user_exists', 'already exist and upsert', 'DUPLICATED_USER', 'DUPLICATED_USERS', 'CONFLICT_EMAIL', 'CONFLICT_USERNAME', 'CONFLICT', 'new email already exists'];

  function disguise(word: string, r: () => number): string {
    // Random casing, and some letters written as JSON \u escapes.
    let out = '';
    for (const ch of word) {
      const cased = r() < 0.5 ? ch.toUpperCase() : ch.toLowerCase();
      out += r() < 0.1 ? `\\u${cased.charCodeAt(0).toString(16).padStart(4, '0')}` : cased;
    }
    return out;
  }

  it('flags every record holding a marker in any casing, escaped or split across chunks', () => {
    const r = rng(42);
    const lines: string[] = [];
    const expected: boolean[] = [];
    for (let i = 0; i < 3000; i++) {
      const marked = r() < 0.3;
      const field = ['description', 'user_name', 'details'][Math.floor(r() * 3)]!;
      const word = WORDS[Math.floor(r() * WORDS.length)]!;
      const noise = 'Successful login from Mozilla/5.0 AppleWebKit pl fl ex xi'.slice(0, Math.floor(r() * 50));
      const value = marked ? `${noise} ${disguise(word, r)} ${noise}` : noise;
      lines.push(`{"log_id":"${i}","data":{"type":"s","${field}":"${value}","n":${i}}}`);
      expected.push(marked);
    }
    const input = lines.join('\n') + '\n';
    for (const sizes of [[input.length], [3], [1, 5, 17], [4093]]) {
      const { records, malformed } = scan(input, sizes);
      expect(malformed).toEqual([]);
      expect(records).toHaveLength(expected.length);
      const missed = records.filter((rec, i) => expected[i] && !rec.candidate).map((rec) => rec.text);
      expect(missed).toEqual([]);
      // The fast path is worth having: unmarked records without escapes are not parsed.
      const parsedNoise = records.filter((rec, i) => !expected[i] && rec.candidate);
      expect(parsedNoise).toEqual([]);
    }
  });

  it('flags JSON escapes (single and double) and odd casing, and leaves ordinary noise alone', () => {
    const lines = [
      String.raw`{"description":"The user \u0061lready\u0020e\u0078ists."}`, // no literal "exists" in the bytes
      String.raw`{"msg":"The user already \\u0065xists."}`, // double-escaped: decoded later by findMarkers
      '{"description":"THE USER ALREADY EXISTS."}',
      '{"code":"DuPlIcAtEd_UsEr"}',
      '{"description":"Wrong email or password."}',
      '{"description":"Password is too weak"}',
      '{"type":"s","description":"Successful login","details":{"prompts":[]},"ua":"AppleWebKit Firefox px fl"}',
    ];
    expect(lines[0]).not.toMatch(/exist/i);
    const { records, malformed } = scan(lines.join('\n') + '\n');
    expect(malformed).toEqual([]);
    expect(records.map((r) => r.candidate)).toEqual([true, true, true, true, false, false, false]);
  });

  it('flags a marker at either alignment of the two-bytes-at-a-time loop, and no near miss', () => {
    // Trigger letters (x, p, f) in both bytes of a 16-bit word, followed or not by their next letter.
    const texts = ['exist', 'EXIST', 'eXiSt', 'duplicat', 'DUPLICAT', 'dUpLiCaT', 'conflict', 'CONFLICT', 'cOnFlIcT'];
    const misses = ['exis', 'xist', 'exlst', 'duplica', 'uplicat', 'dupIicat', 'conflic', 'onflict', 'conf1ict', 'pf', 'fp', 'xx', 'pl fl xi', 'PLFLXI', 'ppll', 'ffll', 'xxii'];
    const found: Array<[string, number, number, boolean]> = [];
    const want: Array<[string, number, number, boolean]> = [];
    for (const [list, marked] of [[texts, true], [misses, false]] as const) {
      for (const text of list) {
        for (let pad = 0; pad < 4; pad++) {
          const line = `{"a":"${'q'.repeat(pad)}${text}${'q'.repeat(pad)}","b":"${'pf'.repeat(pad)}"}\n`;
          for (let offset = 0; offset < 4; offset++) {
            const records: boolean[] = [];
            const scanner = new JsonScanner({ record: (_b, _l, _a, candidate) => records.push(candidate), malformed: () => records.push(false) });
            const memory = Buffer.alloc(line.length + 8);
            memory.write(line, offset, 'latin1');
            scanner.push(memory.subarray(offset, offset + line.length));
            scanner.end();
            found.push([text, pad, offset, records.length === 1 && records[0]!]);
            want.push([text, pad, offset, marked]);
          }
        }
      }
    }
    expect(found).toEqual(want);
  });

  it('sees a marker split across two chunks of a reused buffer', () => {
    const line = '{"type":"fs","description":"The user already exists."}\n';
    const at = line.indexOf('exists') + 1; // split between "e" and "xists"
    for (const cut of [at - 3, at - 1, at, at + 1, at + 3]) {
      const { records } = scan(line, [cut, 4096]);
      expect({ cut, candidate: records[0]!.candidate }).toEqual({ cut, candidate: true });
    }
  });
});

describe('JsonScanner: structure checks against a byte-by-byte reference', () => {
  /**
   * The documented rules, one byte at a time, for one NDJSON line: the events it yields. Null when the
   * line leaves a record and then opens a top-level array (not what this test is about).
   */
  function reference(line: string, n: number): Array<[string, number]> | null {
    const PLAIN = new Set('0123456789-+.eE:, \t\rtruefalsn');
    const events: Array<[string, number]> = [];
    let i = 0;
    for (;;) {
      while (i < line.length && ' \t\r,'.includes(line[i]!)) i++;
      if (i === line.length) return events;
      if (line[i] !== '{') {
        if (line[i] === '[' || line[i] === ']') return null;
        events.push(['malformed', n]);
        return events;
      }
      const stack: string[] = [];
      let inString = false;
      let bad = false;
      let closed = false;
      for (; i < line.length && !bad && !closed; i++) {
        const c = line[i]!;
        const code = c.charCodeAt(0);
        if (inString) {
          if (c === '"') inString = false;
          else if (c === '\\') {
            i++;
            if (i === line.length || line.charCodeAt(i) < 0x20) bad = true;
          } else if (code < 0x20) bad = true;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') stack.push(c);
        else if (c === '}' || c === ']') {
          if (stack.pop() !== (c === '}' ? '{' : '[')) bad = true;
          else if (stack.length === 0) closed = true;
        } else if (!PLAIN.has(c)) bad = true;
      }
      if (!closed) {
        events.push(['malformed', n]);
        return events;
      }
      events.push(['record', n]);
    }
  }

  it('flags exactly the lines the rules reject, whatever the chunking (":" and "," between strings included)', () => {
    const r = rng(7);
    const TOKENS = ['{', '}', '[', ']', '"', '":"', '","', '":{"', '"},"', ':', ',', '1', 'true', 'a', 'x', ' ', '\\"', '\\\\', '\\u0065', '\t', '\u0001', 'exist', '"k"', '"v"'];
    const lines: string[] = [];
    const expected: Array<[string, number]> = [];
    while (lines.length < 3000) {
      let line = '{"k":"';
      const count = Math.floor(r() * 24);
      for (let t = 0; t < count; t++) line += TOKENS[Math.floor(r() * TOKENS.length)]!;
      if (r() < 0.5) line += '"}';
      const events = reference(line, lines.length + 1);
      if (!events) continue;
      lines.push(line);
      expected.push(...events);
    }
    const input = lines.join('\n') + '\n';
    expect(expected.filter((e) => e[0] === 'record').length).toBeGreaterThan(300);
    expect(expected.filter((e) => e[0] === 'malformed').length).toBeGreaterThan(300);
    for (const sizes of [null, [1], [2, 3], [5, 7, 11], [4096]]) {
      const events: Array<[string, number]> = [];
      const scanner = new JsonScanner(
        { record: (_b, line) => events.push(['record', line]), malformed: (line) => events.push(['malformed', line]) },
        { maxRecordBytes: 1 << 20, lineDelimited: true },
      );
      const buf = Buffer.from(input, 'latin1');
      const reused = Buffer.alloc(4097).subarray(1);
      if (!sizes) scanner.push(buf);
      for (let at = 0, k = 0; sizes && at < buf.length; k++) {
        const size = Math.min(sizes[k % sizes.length]!, buf.length - at);
        buf.copy(reused, 0, at, at + size);
        scanner.push(reused.subarray(0, size));
        reused.fill(0x41);
        at += size;
      }
      scanner.end();
      expect({ sizes, events }).toEqual({ sizes, events: expected });
    }
  });
});

describe('JsonScanner: recovery keeps the records after the damage', () => {
  it('a truncated first NDJSON line does not swallow the file', () => {
    for (const [first, reason] of [
      ['{"type":"fs","description":"The user alr', 'truncated: the line ends inside it'],
      ['{"type":"fs","details":{"a":1}', 'truncated: the next record starts before it ends'],
    ] as const) {
      const { records, malformed } = scan(`${first}\n{"a":2}\n{"a":3}\n`);
      expect(malformed).toEqual([{ line: 1, reason }]);
      expect(records.map((r) => [r.line, JSON.parse(r.text).a])).toEqual([
        [2, 2],
        [3, 3],
      ]);
    }
  });

  it('a truncated object among pretty concatenated objects (auth0 logs tail --json)', () => {
    const a = JSON.stringify({ n: 1, details: { x: 1 } }, null, 2);
    const b = JSON.stringify({ n: 2, details: { x: 2 } }, null, 2);
    const cut = a.slice(0, a.indexOf('"x"'));
    const { records, malformed } = scan(`${cut}\n${b}\n${a}\n`);
    expect(malformed.map((m) => m.line)).toEqual([1]);
    expect(records.map((r) => JSON.parse(r.text).n)).toEqual([2, 1]);
  });

  it('a raw newline in a string of a pretty array element: one malformed record, no invented ones', () => {
    const items = [1, 2, 3, 4].map((n) => ({ n, details: { name: 'x', list: [{ k: n }] } }));
    const pretty = JSON.stringify(items, null, 2).replace('"name": "x"', '"name": "x\ny"');
    const { records, malformed } = scan(pretty);
    expect(malformed).toHaveLength(1);
    expect(malformed[0]!.line).toBe(2);
    expect(records.map((r) => JSON.parse(r.text).n)).toEqual([2, 3, 4]);
    expect(records.every((r) => r.inArray)).toBe(true);
  });
});

describe('JsonScanner: reset', () => {
  it('after reset, a scanner reads an input exactly as a new one does, whatever state it was left in', () => {
    const inputs = [
      ndjson([{ a: 1, description: 'The user already exists.' }, { b: 2 }]),
      JSON.stringify([{ type: 'fs', n: 1 }, { type: 's', n: 2 }], null, 2),
      '{"unterminated": "string\n{"a":1}\n',
      '[{"open": [1, 2',
      '{"esc":"already\\u0020e\\u0078ists"}\n  {"b": {"c": [1, {"d": "}"}]}}',
    ];
    const collect = () => {
      const out: unknown[] = [];
      const sink = {
        record: (bytes: Buffer, line: number, inArray: boolean, candidate: boolean) => out.push(['record', bytes.toString(), line, inArray, candidate]),
        malformed: (line: number, reason: string) => out.push(['malformed', line, reason]),
      };
      return { out, sink };
    };
    const reused = collect();
    const scanner = new JsonScanner(reused.sink, { maxRecordBytes: 1024 });
    for (const left of inputs) {
      for (const input of inputs) {
        scanner.push(Buffer.from(left)); // leave it in whatever state this input ends in
        scanner.reset();
        reused.out.length = 0;
        scanner.push(Buffer.from(input));
        scanner.end();
        const fresh = collect();
        const s = new JsonScanner(fresh.sink, { maxRecordBytes: 1024 });
        s.push(Buffer.from(input));
        s.end();
        expect(reused.out).toEqual(fresh.out);
        expect(scanner.currentLine).toBe(s.currentLine);
      }
    }
  });
});
