/*
 * The body of the line kernel, included by line_scan.c once per instruction set: SCAN_NAME is the
 * function, SCAN_TARGET its target attribute, SCAN_CONSTANTS declares `k` (the block constants),
 * SCAN_BLOCK(p, valid, &k) gives a block's masks and SCAN_NONSPACE(p, &k) its non-whitespace bytes.
 * Everything after the masks is the same scalar code for both.
 */
SCAN_TARGET static size_t SCAN_NAME(const uint8_t *base, size_t from, size_t to, uint32_t *out, uint32_t capacity, uint32_t max_record, pass_t *pass) {
  SCAN_CONSTANTS
  uint32_t lines = 0, plain = 0, entries = 0;
  uint64_t carry = 0, kinds = 0;
  int phase = BEFORE, candidate = 0;
  unsigned depth = 0;
  size_t line_start = from, record_start = 0, record_end = 0;
  for (size_t block = from; block < to; block += 64) {
    const uint8_t *p = base + block;
    uint64_t valid = to - block >= 64 ? ~0ull : (1ull << (to - block)) - 1;
    block_t m = SCAN_BLOCK(p, valid, &k);
    uint64_t q = m.q, brackets = m.brackets, allowed = m.allowed, fp = m.fp, nl = m.nl, bs = m.bs, ctrl = m.ctrl;
    uint64_t in_string = _mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)q), _mm_set1_epi8((char)0xff), 0)) ^ carry;
    uint64_t open = nl & in_string, broken = 0;
    while (open) {
      uint64_t bit = open & (0 - open);
      broken |= bit;
      uint64_t after = ~((bit << 1) - 1);
      in_string ^= after;
      open = nl & in_string & after;
    }
    carry = (uint64_t)((int64_t)in_string >> 63);
    uint64_t inside = in_string & ~q, outside = ~in_string & ~q;
    uint64_t errors = (bs | (inside & ctrl & ~nl) | (outside & ~allowed) | broken) & valid;
    uint64_t structural = brackets & outside & valid;
    uint64_t nonws = 0;
    int have_nonws = 0;
    if (phase != RECORD) {
      nonws = SCAN_NONSPACE(p, &k) & valid;
      have_nonws = 1;
    }
    if (phase == BEFORE && (nonws & below_lowest(structural | nl)) != 0) phase = BAD;
    else if (phase == AFTER && (nonws & below_lowest(nl)) != 0) phase = BAD;
    uint64_t events = structural | nl | errors | fp;
    while (events) {
      unsigned i = (unsigned)__builtin_ctzll(events);
      uint64_t bit = 1ull << i;
      events &= events - 1;
      size_t pos = block + i;
      if (errors & bit) phase = BAD;
      if (nl & bit) {
        if (phase == AFTER && record_end - record_start > max_record) phase = BAD;
        if (phase == AFTER && !candidate) {
          plain++;
        } else if (phase != BEFORE) {
          uint32_t *entry = out + 4 * (size_t)entries;
          int other = phase != AFTER;
          entry[0] = (uint32_t)(other ? line_start : record_start);
          entry[1] = (uint32_t)(other ? pos + 1 : record_end);
          entry[2] = lines;
          entry[3] = (plain << 1) | (uint32_t)other;
          entries++;
        }
        lines++;
        phase = BEFORE;
        depth = 0;
        candidate = 0;
        line_start = pos + 1;
        if (entries == capacity) {
          pass->lines = lines, pass->plain = plain, pass->entries = entries;
          return line_start;
        }
        if (!have_nonws) nonws = SCAN_NONSPACE(p, &k) & valid, have_nonws = 1;
        uint64_t rest = above(i);
        if ((nonws & rest & below_lowest((structural | nl) & rest)) != 0) phase = BAD;
        continue;
      }
      if (phase == BAD) continue;
      if (structural & bit) {
        uint8_t ch = base[pos];
        int opens = ch == 0x7b || ch == 0x5b;
        if (phase == BEFORE) {
          if (ch == 0x7b) phase = RECORD, depth = 1, kinds = 0, record_start = pos;
          else phase = BAD;
        } else if (phase == RECORD) {
          if (opens) {
            if (depth >= 63) phase = BAD;
            else {
              depth++;
              if (ch == 0x5b) kinds |= 1ull << depth;
              else kinds &= ~(1ull << depth);
            }
          } else {
            int is_array = ((kinds >> depth) & 1) != 0;
            if (is_array != (ch == 0x5d)) phase = BAD;
            else if (--depth == 0) {
              phase = AFTER;
              record_end = pos + 1;
              if (!have_nonws) nonws = SCAN_NONSPACE(p, &k) & valid, have_nonws = 1;
              uint64_t rest = above(i);
              if ((nonws & rest & below_lowest(nl & rest)) != 0) phase = BAD;
            }
          }
        } else phase = BAD;
      }
      if ((fp & bit) && !candidate && marker_at(base, pos, line_start, to)) candidate = 1;
    }
  }
  pass->lines = lines, pass->plain = plain, pass->entries = entries;
  return to;
}
