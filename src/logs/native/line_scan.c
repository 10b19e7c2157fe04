/*
 * The line kernel of src/logs/wasm/line-scan.ts, in C with AVX2, as a Node-API addon built by
 * scripts/build-native.js. Same input, same answers, same entries; the WebAssembly module is the
 * portable build, this one the fast build on x86-64 machines that have AVX2 (the engine that runs
 * WebAssembly emits about three times the instructions for the same loop). The differential tests run
 * both against the JavaScript scanner. Comments on the rules are in line-scan.ts.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_KERNEL 1
#else
#define HAVE_KERNEL 0
#endif

enum { BEFORE = 0, RECORD = 1, AFTER = 2, BAD = 3 };

typedef struct {
  uint32_t lines, plain, entries;
} pass_t;

#if HAVE_KERNEL
#define TARGET __attribute__((target("avx2,bmi,bmi2,popcnt,pclmul")))

static inline uint64_t above(unsigned i) { return i >= 63 ? 0 : ~((2ull << i) - 1); }
static inline uint64_t below_lowest(uint64_t m) { return m == 0 ? ~0ull : (m & (0 - m)) - 1; }

static int marker_at(const uint8_t *base, size_t pos, size_t line_start, size_t end) {
  static const char exist[] = "exist", duplicat[] = "duplicat", conflict[] = "conflict";
  uint8_t first = base[pos] | 0x20;
  const char *word;
  size_t length, at;
  if (first == 0x78) word = exist, length = 5, at = 1;
  else if (first == 0x70) word = duplicat, length = 8, at = 2;
  else word = conflict, length = 8, at = 3;
  if (pos < line_start + at) return 0;
  size_t start = pos - at;
  if (start + length > end) return 0;
  for (size_t j = 0; j < length; j++)
    if ((base[start + j] | 0x20) != (uint8_t)word[j]) return 0;
  return 1;
}

TARGET static inline uint64_t mask64(__m256i a, __m256i b) {
  return (uint64_t)(uint32_t)_mm256_movemask_epi8(a) | ((uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32);
}

TARGET static uint64_t non_spaces(const uint8_t *p) {
  const __m256i table = _mm256_setr_epi8(0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0a, -1, -1, 0x0d, -1, 0,
                                         0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0a, -1, -1, 0x0d, -1, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32));
  __m256i sa = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(a, nibble)), a);
  __m256i sb = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(b, nibble)), b);
  return ~mask64(sa, sb);
}

TARGET static size_t scan(const uint8_t *base, size_t from, size_t to, uint32_t *out, uint32_t capacity, uint32_t max_record, pass_t *pass) {
  const __m256i quote = _mm256_set1_epi8(0x22), nibble = _mm256_set1_epi8(0x0f), x7f = _mm256_set1_epi8(0x7f),
                x1f = _mm256_set1_epi8(0x1f), backslash = _mm256_set1_epi8(0x5c), newline = _mm256_set1_epi8(0x0a),
                x20 = _mm256_set1_epi8(0x20);
  const __m256i low_table = _mm256_setr_epi8(6, 36, 70, 68, 68, 108, 36, 4, 4, 5, 5, -46, 34, -45, 34, 0,
                                             6, 36, 70, 68, 68, 108, 36, 4, 4, 5, 5, -46, 34, -45, 34, 0);
  const __m256i high_table = _mm256_setr_epi8(1, 0, 2, 4, 8, -112, 32, -64, 0, 0, 0, 0, 0, 0, 0, 0,
                                              1, 0, 2, 4, 8, -112, 32, -64, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i first_letters = _mm256_setr_epi8(0x70, 0, 0, 0, 0, 0, 0x66, 0, 0x78, 0, 0, 0, 0, 0, 0, 0,
                                                 0x70, 0, 0, 0, 0, 0, 0x66, 0, 0x78, 0, 0, 0, 0, 0, 0, 0);
  const __m256i next_letters = _mm256_setr_epi8(0x6c, 0, 0, 0, 0, 0, 0x6c, 0, 0x69, 0, 0, 0, 0, 0, 0, 0,
                                                0x6c, 0, 0, 0, 0, 0, 0x6c, 0, 0x69, 0, 0, 0, 0, 0, 0, 0);
  uint32_t lines = 0, plain = 0, entries = 0;
  uint64_t carry = 0, kinds = 0;
  int phase = BEFORE, candidate = 0;
  unsigned depth = 0;
  size_t line_start = from, record_start = 0, record_end = 0;
  for (size_t block = from; block < to; block += 64) {
    const uint8_t *p = base + block;
    uint64_t valid = to - block >= 64 ? ~0ull : (1ull << (to - block)) - 1;
    __m256i v[2], c[2], hit[2];
    uint64_t q = 0, brackets = 0, allowed = 0, fp = 0;
    __m256i rare = _mm256_setzero_si256();
    for (int k = 0; k < 2; k++) {
      v[k] = _mm256_loadu_si256((const __m256i *)(p + 32 * k));
      __m256i low = _mm256_and_si256(v[k], nibble);
      __m256i high = _mm256_and_si256(_mm256_srli_epi16(v[k], 4), nibble);
      c[k] = _mm256_and_si256(_mm256_shuffle_epi8(low_table, low), _mm256_shuffle_epi8(high_table, high));
      rare = _mm256_or_si256(rare, _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(v[k], x1f), v[k]), _mm256_cmpeq_epi8(v[k], backslash)));
      __m256i first = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(first_letters, low), _mm256_or_si256(v[k], x20));
      __m256i after = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(p + 32 * k + 1)), x20);
      __m256i next = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(next_letters, low), after);
      hit[k] = _mm256_and_si256(first, next);
    }
    q = mask64(_mm256_cmpeq_epi8(v[0], quote), _mm256_cmpeq_epi8(v[1], quote));
    brackets = mask64(c[0], c[1]);
    allowed = mask64(_mm256_adds_epu8(c[0], x7f), _mm256_adds_epu8(c[1], x7f));
    fp = mask64(hit[0], hit[1]) & valid;
    uint64_t nl = 0, bs = 0, ctrl = 0;
    if (!_mm256_testz_si256(rare, rare)) {
      nl = mask64(_mm256_cmpeq_epi8(v[0], newline), _mm256_cmpeq_epi8(v[1], newline)) & valid;
      bs = mask64(_mm256_cmpeq_epi8(v[0], backslash), _mm256_cmpeq_epi8(v[1], backslash));
      ctrl = mask64(_mm256_cmpeq_epi8(_mm256_min_epu8(v[0], x1f), v[0]), _mm256_cmpeq_epi8(_mm256_min_epu8(v[1], x1f), v[1]));
    }
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
      nonws = non_spaces(p) & valid;
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
        if (!have_nonws) nonws = non_spaces(p) & valid, have_nonws = 1;
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
              if (!have_nonws) nonws = non_spaces(p) & valid, have_nonws = 1;
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
#endif

/* supported(): whether this machine can run the kernel (x86-64 with AVX2 and carry-less multiply). */
static napi_value supported(napi_env env, napi_callback_info info) {
  (void)info;
  int ok = 0;
#if HAVE_KERNEL
  __builtin_cpu_init();
  ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("pclmul");
#endif
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

/*
 * scan(region: Buffer, from, to, out: Uint32Array, maxRecordBytes) -> reached. out[0..2] get the
 * pass's lines, plain lines and entry count; entries follow from out[4], four words each. `region`
 * must hold 128 readable bytes after `to`.
 */
static napi_value scan_js(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *region = NULL, *words = NULL;
  size_t region_length = 0, word_count = 0;
  napi_typedarray_type type;
  napi_value array_buffer;
  size_t byte_offset;
  uint32_t from = 0, to = 0, max_record = 0;
  if (argc < 5 || napi_get_buffer_info(env, argv[0], &region, &region_length) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &from) != napi_ok || napi_get_value_uint32(env, argv[2], &to) != napi_ok ||
      napi_get_typedarray_info(env, argv[3], &type, &word_count, &words, &array_buffer, &byte_offset) != napi_ok ||
      type != napi_uint32_array || word_count < 8 || napi_get_value_uint32(env, argv[4], &max_record) != napi_ok ||
      to > region_length || region_length - to < 128 || from > to) {
    napi_throw_type_error(env, NULL, "line kernel: bad arguments");
    return NULL;
  }
  size_t reached = to;
#if HAVE_KERNEL
  pass_t pass = {0, 0, 0};
  uint32_t *out = (uint32_t *)words;
  reached = scan((const uint8_t *)region, from, to, out + 4, (uint32_t)((word_count - 4) / 4), max_record, &pass);
  out[0] = pass.lines, out[1] = pass.plain, out[2] = pass.entries;
#endif
  napi_value result;
  napi_create_uint32(env, (uint32_t)reached, &result);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"supported", NULL, supported, NULL, NULL, NULL, napi_default, NULL},
      {"scan", NULL, scan_js, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
