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

// Bytes allowed outside strings, by nibble: a byte is allowed when LO[low] & HI[high] != 0. Each bit is
// one high nibble; its low-nibble set lists the allowed bytes in that row of the byte table:
// 0x0: tab LF CR; 0x2: space " + , - .; 0x3: 0-9 :; 0x4: E; 0x5: [ ]; 0x6: a e f l n; 0x7: r s t u { }.
const LO_ALLOWED: v128 = i8x16(6, 36, 70, 68, 68, 108, 36, 4, 4, 5, 5, 82, 34, 83, 34, 0);
const HI_ALLOWED: v128 = i8x16(1, 0, 2, 4, 8, 16, 32, 64, 0, 0, 0, 0, 0, 0, 0, 0);

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

@inline function allowedOutside(v: v128): v128 {
  const lo = i8x16.swizzle(LO_ALLOWED, v128.and(v, i8x16.splat(0x0f)));
  const hi = i8x16.swizzle(HI_ALLOWED, i8x16.shr_u(v, 4));
  return i8x16.ne(v128.and(lo, hi), i8x16.splat(0));
}

/**
 * Fingerprints at each byte, any casing: x-i (exist), p-l (duplicat), f-l (conflict). Each is a letter
 * rare in logs and the one after it; a hit is checked whole by markerAt ("AppleWebKit" costs one).
 */
@inline function fingerprints(p: usize): v128 {
  const a = v128.or(v128.load(p), i8x16.splat(0x20));
  const b = v128.or(v128.load(p, 1), i8x16.splat(0x20));
  const xi = v128.and(i8x16.eq(a, i8x16.splat(0x78)), i8x16.eq(b, i8x16.splat(0x69)));
  const pf = v128.or(i8x16.eq(a, i8x16.splat(0x70)), i8x16.eq(a, i8x16.splat(0x66)));
  return v128.or(xi, v128.and(pf, i8x16.eq(b, i8x16.splat(0x6c))));
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
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const newline = i8x16.splat(0x0a);
  const space = i8x16.splat(0x20);
  const control = i8x16.splat(0x20);
  for (let block = from; block < to; block += 64) {
    const v0 = v128.load(block);
    const v1 = v128.load(block, 16);
    const v2 = v128.load(block, 32);
    const v3 = v128.load(block, 48);
    const valid: u64 = to - block >= 64 ? ~(<u64>0) : (<u64>1 << (<u64>(to - block))) - 1;
    const q = bits(i8x16.eq(v0, quote), i8x16.eq(v1, quote), i8x16.eq(v2, quote), i8x16.eq(v3, quote));
    const nl = bits(i8x16.eq(v0, newline), i8x16.eq(v1, newline), i8x16.eq(v2, newline), i8x16.eq(v3, newline)) & valid;
    const bs = bits(i8x16.eq(v0, backslash), i8x16.eq(v1, backslash), i8x16.eq(v2, backslash), i8x16.eq(v3, backslash));
    const ctrl = bits(i8x16.lt_u(v0, control), i8x16.lt_u(v1, control), i8x16.lt_u(v2, control), i8x16.lt_u(v3, control));
    const allowed = bits(allowedOutside(v0), allowedOutside(v1), allowedOutside(v2), allowedOutside(v3));
    // Brackets: { } [ ] are 0x7b 0x7d 0x5b 0x5d, so (b | 0x20) is 0x7b or 0x7d exactly for them.
    const lb = i8x16.splat(0x7b);
    const rb = i8x16.splat(0x7d);
    const f0 = v128.or(v0, space);
    const f1 = v128.or(v1, space);
    const f2 = v128.or(v2, space);
    const f3 = v128.or(v3, space);
    const brackets = bits(
      v128.or(i8x16.eq(f0, lb), i8x16.eq(f0, rb)),
      v128.or(i8x16.eq(f1, lb), i8x16.eq(f1, rb)),
      v128.or(i8x16.eq(f2, lb), i8x16.eq(f2, rb)),
      v128.or(i8x16.eq(f3, lb), i8x16.eq(f3, rb)),
    );
    const fp = bits(fingerprints(block), fingerprints(block + 16), fingerprints(block + 32), fingerprints(block + 48)) & valid;

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
      nonws = ~bits(spaces(v0), spaces(v1), spaces(v2), spaces(v3)) & valid;
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
          nonws = ~bits(spaces(v0), spaces(v1), spaces(v2), spaces(v3)) & valid;
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
                nonws = ~bits(spaces(v0), spaces(v1), spaces(v2), spaces(v3)) & valid;
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
