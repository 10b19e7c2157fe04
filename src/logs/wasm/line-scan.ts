/**
 * AssemblyScript, compiled to WebAssembly with SIMD (`npm run build:wasm`): the line-delimited fast
 * path of the JSON scanner. It classifies every line of a buffer of whole lines, 64 bytes at a time,
 * the way simdjson's first stage does: bitmasks of quotes, brackets, newlines, control bytes, bytes
 * that are not JSON outside strings, and three-letter marker fingerprints; a prefix XOR of the quote
 * mask tells which bytes are inside strings. Then only the few set bits are walked one by one.
 *
 * Each line gets one of four answers:
 * - blank (only spaces, tabs, CR): nothing to report;
 * - plain: exactly one `{...}` object, balanced, with only JSON bytes outside strings, no control byte
 *   or backslash inside them, no marker word in any casing: only counted;
 * - candidate: the same, with a marker word: reported with its record's bytes;
 * - other: anything else (a backslash, damage, an array, several records, an object deeper than 63, a
 *   record over the size limit). Reported with the line's bytes; the JavaScript scanner reads that line,
 *   so every rule about damage lives in one place (scanner.ts) and this never has to agree with it on
 *   anything but what a plain line is.
 *
 * Memory is laid out by the caller (`alloc`); entries are four u32 each:
 *   start, end (byte offsets of the record, or of the line with its newline, for `other`),
 *   line index (newlines before it in this pass), and (plain lines before it in this pass) << 1 | other.
 */

/** Set by `scan`: newlines and plain lines seen in the pass, and entries written. */
export let passLines: u32 = 0;
export let passPlain: u32 = 0;
export let passEntries: u32 = 0;
/** Records longer than this are `other` (the JavaScript scanner reports them). */
export let maxRecordBytes: u32 = 4 * 1024 * 1024;

export function setMaxRecordBytes(n: u32): void {
  maxRecordBytes = n;
}

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

const PHASE_BEFORE: i32 = 0;
const PHASE_RECORD: i32 = 1;
const PHASE_AFTER: i32 = 2;
const PHASE_BAD: i32 = 3;

const WORD_EXIST = memory.data<u8>([0x65, 0x78, 0x69, 0x73, 0x74]); // exist
const WORD_DUPLICAT = memory.data<u8>([0x64, 0x75, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x74]); // duplicat
const WORD_CONFLICT = memory.data<u8>([0x63, 0x6f, 0x6e, 0x66, 0x6c, 0x69, 0x63, 0x74]); // conflict

@inline function bits(m0: v128, m1: v128, m2: v128, m3: v128): u64 {
  return (
    <u64>(<u32>i8x16.bitmask(m0)) |
    (<u64>(<u32>i8x16.bitmask(m1)) << 16) |
    (<u64>(<u32>i8x16.bitmask(m2)) << 32) |
    (<u64>(<u32>i8x16.bitmask(m3)) << 48)
  );
}

@inline function prefixXor(x: u64): u64 {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/** Bits strictly above bit i. */
@inline function above(i: u64): u64 {
  return i >= 63 ? 0 : ~((<u64>2 << i) - 1);
}

/** Bits below the lowest set bit of m (all bits when m is 0). */
@inline function belowLowest(m: u64): u64 {
  return m === 0 ? ~(<u64>0) : (m & (0 - m)) - 1;
}

/** Space, tab, CR and newline: the table holds, at each low nibble, the one of them with that nibble. */
const SPACES: v128 = i8x16(0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0a, -1, -1, 0x0d, -1, 0);

@inline function spaces(v: v128): v128 {
  return i8x16.eq(i8x16.swizzle(SPACES, v128.and(v, i8x16.splat(0x0f))), v);
}

/** Bytes of the block that are not a space, tab, CR or newline. */
function nonSpaces(block: usize): u64 {
  return ~bits(spaces(v128.load(block)), spaces(v128.load(block, 16)), spaces(v128.load(block, 32)), spaces(v128.load(block, 48)));
}

/** The constants of the loop, written once by `init`. */
const K = memory.data(16 * 11, 16);

export function init(): void {
  v128.store(K, i8x16.splat(0x22), 0);
  v128.store(K, i8x16.splat(0x0f), 16);
  // Bits 0-6, one per high nibble row, allowed outside strings:
  // 0x0: tab LF CR; 0x2: space " + , - .; 0x3: 0-9 :; 0x4: E; 0x5: [ ]; 0x6: a e f l n; 0x7: r s t u { }.
  // Bit 7: brackets, rows 0x5 and 0x7 at low nibbles 0xb and 0xd.
  v128.store(K, i8x16(6, 36, 70, 68, 68, 108, 36, 4, 4, 5, 5, -46, 34, -45, 34, 0), 32);
  v128.store(K, i8x16(1, 0, 2, 4, 8, -112, 32, -64, 0, 0, 0, 0, 0, 0, 0, 0), 48);
  v128.store(K, i8x16.splat(0x7f), 64);
  v128.store(K, i8x16.splat(0x1f), 80);
  v128.store(K, i8x16.splat(0x5c), 96);
  v128.store(K, i8x16.splat(0x0a), 112);
  v128.store(K, i8x16.splat(0x20), 128);
  // By low nibble: the first letters x (8), p (0), f (6); and the letter that must follow each (i, l, l).
  // Other nibbles hold 0, which no byte ORed with 0x20 equals.
  v128.store(K, i8x16(0x70, 0, 0, 0, 0, 0, 0x66, 0, 0x78, 0, 0, 0, 0, 0, 0, 0), 144);
  v128.store(K, i8x16(0x6c, 0, 0, 0, 0, 0, 0x6c, 0, 0x69, 0, 0, 0, 0, 0, 0, 0), 160);
}

/** A whole marker word at a fingerprint, any casing, inside [lineStart, end). */
function markerAt(pos: usize, lineStart: usize, end: usize): bool {
  const first = load<u8>(pos) | 0x20;
  let word: usize;
  let length: usize;
  let at: usize;
  if (first === 0x78) {
    word = WORD_EXIST;
    length = 5;
    at = 1;
  } else if (first === 0x70) {
    word = WORD_DUPLICAT;
    length = 8;
    at = 2;
  } else {
    word = WORD_CONFLICT;
    length = 8;
    at = 3;
  }
  if (pos < lineStart + at) return false;
  const start = pos - at;
  if (start + length > end) return false;
  for (let j: usize = 0; j < length; j++) {
    if ((load<u8>(start + j) | 0x20) !== load<u8>(word + j)) return false;
  }
  return true;
}

/**
 * Classifies the lines of [from, to): `to - 1` must be a newline, and 80 readable bytes must follow
 * `to` (their values do not matter). Writes at most `capacity` entries at `out` and returns where it
 * stopped: `to`, or the start of the first line not classified when the entries ran out.
 */
export function scan(from: usize, to: usize, out: usize, capacity: u32): usize {
  let lines: u32 = 0;
  let plain: u32 = 0;
  let entries: u32 = 0;
  let carry: u64 = 0; // all ones while inside a string at the block's start
  let phase = PHASE_BEFORE;
  let depth: u32 = 0;
  let kinds: u64 = 0; // bit d set: the container at depth d is an array
  let candidate = false;
  let lineStart = from;
  let recordStart: usize = 0;
  let recordEnd: usize = 0;
  // Constants live in memory (see init): the optimizer cannot fold them back into the loop, where the
  // engine would rebuild each one at every use.
  const quote = v128.load(K, 0);
  const nibble = v128.load(K, 16);
  const lowTable = v128.load(K, 32);
  const highTable = v128.load(K, 48);
  const x7f = v128.load(K, 64);
  const x1f = v128.load(K, 80);
  const backslash = v128.load(K, 96);
  const x20 = v128.load(K, 128);
  const firstLetters = v128.load(K, 144);
  const nextLetters = v128.load(K, 160);
  for (let block = from; block < to; block += 64) {
    const valid: u64 = to - block >= 64 ? ~(<u64>0) : (<u64>1 << (<u64>(to - block))) - 1;
    // One 16-byte vector at a time keeps few values live (the engine has 16 vector registers).
    let rare = i8x16.splat(0);
    let hits = i8x16.splat(0);
    let q: u64 = 0;
    let brackets: u64 = 0;
    let allowed: u64 = 0;
    // Per vector: bits 0-6 of the lookup say "allowed outside strings", bit 7 "a bracket". Control
    // bytes (newlines among them) and backslashes are rare: their masks come only when a block has one.
    // Marker fingerprints: x-i (exist), p-l (duplicat), f-l (conflict), any casing; the first letter is
    // looked up by its low nibble (x 8, p 0, f 6), and so is the letter that must follow it.
    {
      const v = v128.load(block, 0);
      const low = v128.and(v, nibble);
      const c = v128.and(i8x16.swizzle(lowTable, low), i8x16.swizzle(highTable, v128.and(i16x8.shr_u(v, 4), nibble)));
      q |= <u64>(<u32>i8x16.bitmask(i8x16.eq(v, quote))) << 0;
      brackets |= <u64>(<u32>i8x16.bitmask(c)) << 0;
      allowed |= <u64>(<u32>i8x16.bitmask(i8x16.add_sat_u(c, x7f))) << 0;
      rare = v128.or(rare, v128.or(i8x16.le_u(v, x1f), i8x16.eq(v, backslash)));
      const first = i8x16.eq(i8x16.swizzle(firstLetters, low), v128.or(v, x20));
      const next = i8x16.eq(i8x16.swizzle(nextLetters, low), v128.or(v128.load(block, 1), x20));
      hits = v128.or(hits, v128.and(first, next));
    }
    {
      const v = v128.load(block, 16);
      const low = v128.and(v, nibble);
      const c = v128.and(i8x16.swizzle(lowTable, low), i8x16.swizzle(highTable, v128.and(i16x8.shr_u(v, 4), nibble)));
      q |= <u64>(<u32>i8x16.bitmask(i8x16.eq(v, quote))) << 16;
      brackets |= <u64>(<u32>i8x16.bitmask(c)) << 16;
      allowed |= <u64>(<u32>i8x16.bitmask(i8x16.add_sat_u(c, x7f))) << 16;
      rare = v128.or(rare, v128.or(i8x16.le_u(v, x1f), i8x16.eq(v, backslash)));
      const first = i8x16.eq(i8x16.swizzle(firstLetters, low), v128.or(v, x20));
      const next = i8x16.eq(i8x16.swizzle(nextLetters, low), v128.or(v128.load(block, 17), x20));
      hits = v128.or(hits, v128.and(first, next));
    }
    {
      const v = v128.load(block, 32);
      const low = v128.and(v, nibble);
      const c = v128.and(i8x16.swizzle(lowTable, low), i8x16.swizzle(highTable, v128.and(i16x8.shr_u(v, 4), nibble)));
      q |= <u64>(<u32>i8x16.bitmask(i8x16.eq(v, quote))) << 32;
      brackets |= <u64>(<u32>i8x16.bitmask(c)) << 32;
      allowed |= <u64>(<u32>i8x16.bitmask(i8x16.add_sat_u(c, x7f))) << 32;
      rare = v128.or(rare, v128.or(i8x16.le_u(v, x1f), i8x16.eq(v, backslash)));
      const first = i8x16.eq(i8x16.swizzle(firstLetters, low), v128.or(v, x20));
      const next = i8x16.eq(i8x16.swizzle(nextLetters, low), v128.or(v128.load(block, 33), x20));
      hits = v128.or(hits, v128.and(first, next));
    }
    {
      const v = v128.load(block, 48);
      const low = v128.and(v, nibble);
      const c = v128.and(i8x16.swizzle(lowTable, low), i8x16.swizzle(highTable, v128.and(i16x8.shr_u(v, 4), nibble)));
      q |= <u64>(<u32>i8x16.bitmask(i8x16.eq(v, quote))) << 48;
      brackets |= <u64>(<u32>i8x16.bitmask(c)) << 48;
      allowed |= <u64>(<u32>i8x16.bitmask(i8x16.add_sat_u(c, x7f))) << 48;
      rare = v128.or(rare, v128.or(i8x16.le_u(v, x1f), i8x16.eq(v, backslash)));
      const first = i8x16.eq(i8x16.swizzle(firstLetters, low), v128.or(v, x20));
      const next = i8x16.eq(i8x16.swizzle(nextLetters, low), v128.or(v128.load(block, 49), x20));
      hits = v128.or(hits, v128.and(first, next));
    }
    let nl: u64 = 0;
    let bs: u64 = 0;
    let ctrl: u64 = 0;
    if (v128.any_true(rare)) {
      const newline = v128.load(K, 112);
      for (let j: u64 = 0; j < 64; j += 16) {
        const v = v128.load(block + <usize>j);
        nl |= <u64>(<u32>i8x16.bitmask(i8x16.eq(v, newline))) << j;
        bs |= <u64>(<u32>i8x16.bitmask(i8x16.eq(v, backslash))) << j;
        ctrl |= <u64>(<u32>i8x16.bitmask(i8x16.le_u(v, x1f))) << j;
      }
      nl &= valid;
    }
    let fp: u64 = 0;
    if (v128.any_true(hits)) {
      for (let j: u64 = 0; j < 64; j += 16) {
        const v = v128.load(block + <usize>j);
        const low = v128.and(v, nibble);
        const first = i8x16.eq(i8x16.swizzle(firstLetters, low), v128.or(v, x20));
        const next = i8x16.eq(i8x16.swizzle(nextLetters, low), v128.or(v128.load(block + <usize>j, 1), x20));
        fp |= <u64>(<u32>i8x16.bitmask(v128.and(first, next))) << j;
      }
      fp &= valid;
    }

    let inString = prefixXor(q) ^ carry;
    // A newline inside a string damages its line; the next line starts outside any string.
    let open = nl & inString;
    let broken: u64 = 0;
    while (open !== 0) {
      const bit = open & (0 - open);
      broken |= bit;
      const after = ~((bit << 1) - 1);
      inString ^= after;
      open = nl & inString & after;
    }
    carry = <u64>(<i64>inString >> 63);
    const inside = inString & ~q;
    const outside = ~inString & ~q;
    const errors = (bs | (inside & ctrl & ~nl) | (outside & ~allowed) | broken) & valid;
    const structural = brackets & outside & valid;

    // Not a space, tab, CR or newline: needed only between records, so computed only there.
    let nonws: u64 = 0;
    let haveNonws = false;
    if (phase !== PHASE_RECORD) {
      nonws = nonSpaces(block) & valid;
      haveNonws = true;
    }
    // Between records only spaces may come: check up to the next bracket (before) or newline (after).
    if (phase === PHASE_BEFORE && (nonws & belowLowest(structural | nl)) !== 0) phase = PHASE_BAD;
    else if (phase === PHASE_AFTER && (nonws & belowLowest(nl)) !== 0) phase = PHASE_BAD;

    let events = structural | nl | errors | fp;
    while (events !== 0) {
      const i = <u64>ctz(events);
      const bit = <u64>1 << i;
      events &= events - 1;
      const pos = block + <usize>i;
      if ((errors & bit) !== 0) phase = PHASE_BAD;
      if ((nl & bit) !== 0) {
        if (phase === PHASE_AFTER && recordEnd - recordStart > <usize>maxRecordBytes) phase = PHASE_BAD;
        if (phase === PHASE_AFTER && !candidate) {
          plain++;
        } else if (phase !== PHASE_BEFORE) {
          const entry = out + (<usize>entries << 4);
          const other = phase !== PHASE_AFTER;
          store<u32>(entry, <u32>(other ? lineStart : recordStart));
          store<u32>(entry, <u32>(other ? pos + 1 : recordEnd), 4);
          store<u32>(entry, lines, 8);
          store<u32>(entry, (plain << 1) | (other ? 1 : 0), 12);
          entries++;
        }
        lines++;
        phase = PHASE_BEFORE;
        depth = 0;
        candidate = false;
        lineStart = pos + 1;
        if (entries === capacity) {
          passLines = lines;
          passPlain = plain;
          passEntries = entries;
          return lineStart;
        }
        if (!haveNonws) {
          nonws = nonSpaces(block) & valid;
          haveNonws = true;
        }
        const rest = above(i);
        if ((nonws & rest & belowLowest((structural | nl) & rest)) !== 0) phase = PHASE_BAD;
        continue;
      }
      if (phase === PHASE_BAD) continue;
      if ((structural & bit) !== 0) {
        const c = load<u8>(pos);
        const opens = c === 0x7b || c === 0x5b;
        if (phase === PHASE_BEFORE) {
          if (c === 0x7b) {
            phase = PHASE_RECORD;
            depth = 1;
            kinds = 0;
            recordStart = pos;
          } else phase = PHASE_BAD;
        } else if (phase === PHASE_RECORD) {
          if (opens) {
            if (depth >= 63) phase = PHASE_BAD;
            else {
              depth++;
              if (c === 0x5b) kinds |= <u64>1 << depth;
              else kinds &= ~(<u64>1 << depth);
            }
          } else {
            const isArray = ((kinds >> depth) & 1) !== 0;
            if (isArray !== (c === 0x5d)) phase = PHASE_BAD;
            else if (--depth === 0) {
              phase = PHASE_AFTER;
              recordEnd = pos + 1;
              if (!haveNonws) {
                nonws = nonSpaces(block) & valid;
                haveNonws = true;
              }
              const rest = above(i);
              if ((nonws & rest & belowLowest(nl & rest)) !== 0) phase = PHASE_BAD;
            }
          }
        } else phase = PHASE_BAD;
      }
      if ((fp & bit) !== 0 && !candidate && markerAt(pos, lineStart, to)) candidate = true;
    }
  }
  passLines = lines;
  passPlain = plain;
  passEntries = entries;
  return to;
}
