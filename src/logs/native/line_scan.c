/*
 * The line kernel of src/logs/wasm/line-scan.ts, in C with AVX-512 or AVX2 (chosen when the addon
 * loads), as a Node-API addon built by scripts/build-native.js. Same input, same answers, same
 * entries; the WebAssembly module is the portable build, this one the fast build on x86-64 machines
 * that have AVX2 (the engine that runs WebAssembly emits about three times the instructions for the
 * same loop). The differential tests run each build, and this one with each instruction set the CPU
 * has, against the JavaScript scanner. Comments on the rules are in line-scan.ts. The addon also runs
 * the prescan threads (below; src/logs/prescan.ts).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

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

/* A block's masks, one bit per byte of its 64: what the scalar part of the kernel works from. */
typedef struct {
  uint64_t q, brackets, allowed, fp, nl, bs, ctrl;
} block_t;

/* The class table (brackets: bit 7; bytes allowed outside strings: non-zero), the marker fingerprints and the whitespace table. */
#define LOW_TABLE 6, 36, 70, 68, 68, 108, 36, 4, 4, 5, 5, -46, 34, -45, 34, 0
#define HIGH_TABLE 1, 0, 2, 4, 8, -112, 32, -64, 0, 0, 0, 0, 0, 0, 0, 0
#define FIRST_LETTERS 0x70, 0, 0, 0, 0, 0, 0x66, 0, 0x78, 0, 0, 0, 0, 0, 0, 0
#define NEXT_LETTERS 0x6c, 0, 0, 0, 0, 0, 0x6c, 0, 0x69, 0, 0, 0, 0, 0, 0, 0
#define SPACE_TABLE 0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0a, -1, -1, 0x0d, -1, 0

/* --- AVX2: two 32-byte halves --- */

typedef struct {
  __m256i quote, nibble, x7f, x1f, backslash, newline, x20, low_table, high_table, first_letters, next_letters, space_table;
} avx2_t;

TARGET static inline uint64_t mask64(__m256i a, __m256i b) {
  return (uint64_t)(uint32_t)_mm256_movemask_epi8(a) | ((uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32);
}

TARGET static inline avx2_t avx2_constants(void) {
  avx2_t k = {_mm256_set1_epi8(0x22), _mm256_set1_epi8(0x0f), _mm256_set1_epi8(0x7f), _mm256_set1_epi8(0x1f), _mm256_set1_epi8(0x5c),
              _mm256_set1_epi8(0x0a), _mm256_set1_epi8(0x20), _mm256_setr_epi8(LOW_TABLE, LOW_TABLE), _mm256_setr_epi8(HIGH_TABLE, HIGH_TABLE),
              _mm256_setr_epi8(FIRST_LETTERS, FIRST_LETTERS), _mm256_setr_epi8(NEXT_LETTERS, NEXT_LETTERS), _mm256_setr_epi8(SPACE_TABLE, SPACE_TABLE)};
  return k;
}

TARGET static inline uint64_t avx2_non_spaces(const uint8_t *p, const avx2_t *k) {
  __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32));
  __m256i sa = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(k->space_table, _mm256_and_si256(a, k->nibble)), a);
  __m256i sb = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(k->space_table, _mm256_and_si256(b, k->nibble)), b);
  return ~mask64(sa, sb);
}

TARGET static inline block_t avx2_block(const uint8_t *p, uint64_t valid, const avx2_t *k) {
  __m256i v[2], c[2], hit[2];
  __m256i rare = _mm256_setzero_si256();
  for (int h = 0; h < 2; h++) {
    v[h] = _mm256_loadu_si256((const __m256i *)(p + 32 * h));
    __m256i low = _mm256_and_si256(v[h], k->nibble);
    __m256i high = _mm256_and_si256(_mm256_srli_epi16(v[h], 4), k->nibble);
    c[h] = _mm256_and_si256(_mm256_shuffle_epi8(k->low_table, low), _mm256_shuffle_epi8(k->high_table, high));
    rare = _mm256_or_si256(rare, _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(v[h], k->x1f), v[h]), _mm256_cmpeq_epi8(v[h], k->backslash)));
    __m256i first = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(k->first_letters, low), _mm256_or_si256(v[h], k->x20));
    __m256i after = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(p + 32 * h + 1)), k->x20);
    hit[h] = _mm256_and_si256(first, _mm256_cmpeq_epi8(_mm256_shuffle_epi8(k->next_letters, low), after));
  }
  block_t m = {0};
  m.q = mask64(_mm256_cmpeq_epi8(v[0], k->quote), _mm256_cmpeq_epi8(v[1], k->quote));
  m.brackets = mask64(c[0], c[1]);
  m.allowed = mask64(_mm256_adds_epu8(c[0], k->x7f), _mm256_adds_epu8(c[1], k->x7f));
  m.fp = mask64(hit[0], hit[1]) & valid;
  if (!_mm256_testz_si256(rare, rare)) {
    m.nl = mask64(_mm256_cmpeq_epi8(v[0], k->newline), _mm256_cmpeq_epi8(v[1], k->newline)) & valid;
    m.bs = mask64(_mm256_cmpeq_epi8(v[0], k->backslash), _mm256_cmpeq_epi8(v[1], k->backslash));
    m.ctrl = mask64(_mm256_cmpeq_epi8(_mm256_min_epu8(v[0], k->x1f), v[0]), _mm256_cmpeq_epi8(_mm256_min_epu8(v[1], k->x1f), v[1]));
  }
  return m;
}

#define SCAN_NAME scan_avx2
#define SCAN_TARGET TARGET
#define SCAN_CONSTANTS const avx2_t k = avx2_constants();
#define SCAN_BLOCK avx2_block
#define SCAN_NONSPACE avx2_non_spaces
#include "line_scan_body.h"
#undef SCAN_NAME
#undef SCAN_TARGET
#undef SCAN_CONSTANTS
#undef SCAN_BLOCK
#undef SCAN_NONSPACE

/* --- AVX-512 (BW): the whole block in one vector, comparisons straight to masks --- */

#define TARGET512 __attribute__((target("avx512f,avx512bw,avx2,bmi,bmi2,popcnt,pclmul")))

typedef struct {
  __m512i quote, nibble, x1f, backslash, newline, x20, low_table, high_table, first_letters, next_letters, space_table;
} avx512_t;

TARGET512 static inline __m512i lanes(__m128i lane) { return _mm512_broadcast_i32x4(lane); }

TARGET512 static inline avx512_t avx512_constants(void) {
  avx512_t k = {_mm512_set1_epi8(0x22), _mm512_set1_epi8(0x0f), _mm512_set1_epi8(0x1f), _mm512_set1_epi8(0x5c), _mm512_set1_epi8(0x0a),
                _mm512_set1_epi8(0x20), lanes(_mm_setr_epi8(LOW_TABLE)), lanes(_mm_setr_epi8(HIGH_TABLE)), lanes(_mm_setr_epi8(FIRST_LETTERS)),
                lanes(_mm_setr_epi8(NEXT_LETTERS)), lanes(_mm_setr_epi8(SPACE_TABLE))};
  return k;
}

TARGET512 static inline uint64_t avx512_non_spaces(const uint8_t *p, const avx512_t *k) {
  __m512i v = _mm512_loadu_si512((const void *)p);
  return ~(uint64_t)_mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(k->space_table, _mm512_and_si512(v, k->nibble)), v);
}

TARGET512 static inline block_t avx512_block(const uint8_t *p, uint64_t valid, const avx512_t *k) {
  __m512i v = _mm512_loadu_si512((const void *)p);
  __m512i low = _mm512_and_si512(v, k->nibble);
  __m512i high = _mm512_and_si512(_mm512_srli_epi16(v, 4), k->nibble);
  __m512i c = _mm512_and_si512(_mm512_shuffle_epi8(k->low_table, low), _mm512_shuffle_epi8(k->high_table, high));
  __m512i after = _mm512_or_si512(_mm512_loadu_si512((const void *)(p + 1)), k->x20);
  block_t m = {0};
  m.q = _mm512_cmpeq_epi8_mask(v, k->quote);
  m.brackets = _mm512_movepi8_mask(c);
  m.allowed = _mm512_test_epi8_mask(c, c);
  m.fp = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(k->first_letters, low), _mm512_or_si512(v, k->x20)) &
         _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(k->next_letters, low), after) & valid;
  m.ctrl = _mm512_cmple_epu8_mask(v, k->x1f);
  m.bs = _mm512_cmpeq_epi8_mask(v, k->backslash);
  if (m.ctrl) m.nl = _mm512_cmpeq_epi8_mask(v, k->newline) & valid;
  return m;
}

#define SCAN_NAME scan_avx512
#define SCAN_TARGET TARGET512
#define SCAN_CONSTANTS const avx512_t k = avx512_constants();
#define SCAN_BLOCK avx512_block
#define SCAN_NONSPACE avx512_non_spaces
#include "line_scan_body.h"
#undef SCAN_NAME
#undef SCAN_TARGET
#undef SCAN_CONSTANTS
#undef SCAN_BLOCK
#undef SCAN_NONSPACE

typedef size_t (*scan_fn)(const uint8_t *, size_t, size_t, uint32_t *, uint32_t, uint32_t, pass_t *);

/* The instruction sets this machine runs, best first; `scan` is the chosen one's kernel (setIsa changes it, for tests). */
static int has_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}
static scan_fn scan = scan_avx2;
static const char *isa = "avx2";
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


/*
 * The prescan (src/logs/prescan.ts): native threads that claim pieces of a large line-delimited file
 * from the counter the JavaScript threads claim from, read each with pread() and classify its lines
 * with the kernel above, keeping only what the JavaScript scanner must see: the entries, each with
 * its bytes and the up to 8 bytes before it (LineScanner.bytesBefore), copied to an arena. A piece is
 * handed over early (`stopped`) where a line is longer than the region, where the piece ends without
 * a newline, or where the arena or the entry list is full: the JavaScript scanner reads on from there.
 * A thread needs no V8 isolate, so it starts scanning the moment bin/unstick.js starts it.
 */
#define OVERREAD 128
/* Read a step at a time: the bytes are still in the core's cache when the kernel reads them (measured: 4 MiB reads cost a third more). */
#define READ_STEP (256u * 1024)
#ifndef NICE
#define NICE 10
#endif
#define PASS_ENTRIES 4096
#define PIECE_ENTRY_CAP (256u * 1024)
#define PIECE_ARENA_LIMIT (8u << 20)
/* The bytes that pieces read and not yet taken may keep, together, before the threads wait (default). */
#define PENDING_LIMIT (32u << 20)
#define FIELDS 8

enum { PIECE_OPEN = 0, PIECE_DONE = 1, PIECE_TAKEN = 2 };

typedef struct {
  int state, error;
  double lines, plain, stopped;
  uint32_t stop_before_at, stop_before_len;
  double *entries;
  size_t count, entry_cap;
  uint8_t *arena;
  size_t used, arena_cap, arena_limit;
} piece_t;

typedef struct {
  char *path;
  uint32_t n, max_record, region_bytes, threads, started, arena_limit, pending_limit;
  double *bounds;
  int32_t *counter;
  napi_ref counter_ref;
  pthread_t *tids;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int cancel, stopped;
  size_t pending;
  piece_t *pieces;
} job_t;

/* Entries stop at the arena's limit; the bytes before where a piece is handed over may go 8 past it. */
/* memrchr where the C library has it (glibc), a loop where it has not (macOS). */
static const uint8_t *last_byte(const uint8_t *p, int byte, size_t n) {
#ifdef __GLIBC__
  return memrchr(p, byte, n);
#else
  while (n > 0)
    if (p[--n] == (uint8_t)byte) return p + n;
  return NULL;
#endif
}

static int arena_put(piece_t *p, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint32_t *at) {
  size_t need = alen + blen;
  if (p->used + need > p->arena_limit + (p->stopped >= 0 ? 8 : 0)) return 0;
  if (p->used + need > p->arena_cap) {
    size_t cap = p->arena_cap ? p->arena_cap : 64 * 1024;
    while (cap < p->used + need) cap *= 2;
    uint8_t *grown = realloc(p->arena, cap);
    if (!grown) return 0;
    p->arena = grown, p->arena_cap = cap;
  }
  *at = (uint32_t)p->used;
  if (alen) memcpy(p->arena + p->used, a, alen);
  if (blen) memcpy(p->arena + p->used + alen, b, blen);
  p->used += need;
  return 1;
}

/* The bytes LineScanner.bytesBefore(x) gives: region[x-8, x), or the bytes kept from before region[0] and region[0, x). */
static int put_before(piece_t *p, const uint8_t *region, size_t x, const uint8_t *prev, size_t prev_len, uint32_t *at, uint32_t *len) {
  if (x >= 8) return (*len = 8), arena_put(p, region + x - 8, 8, NULL, 0, at);
  size_t keep = prev_len + x > 8 ? 8 - x : prev_len;
  *len = (uint32_t)(keep + x);
  return arena_put(p, prev + prev_len - keep, keep, region, x, at);
}

static int add_entry(piece_t *p, const double *fields) {
  if (p->count >= PIECE_ENTRY_CAP) return 0;
  if (p->count == p->entry_cap) {
    size_t cap = p->entry_cap ? p->entry_cap * 2 : 1024;
    double *grown = realloc(p->entries, cap * FIELDS * sizeof(double));
    if (!grown) return 0;
    p->entries = grown, p->entry_cap = cap;
  }
  memcpy(p->entries + p->count * FIELDS, fields, FIELDS * sizeof(double));
  p->count++;
  return 1;
}

#if HAVE_KERNEL
TARGET static void prescan_piece(job_t *job, uint32_t k, int fd, uint8_t *region, uint32_t *out) {
  piece_t *p = &job->pieces[k];
  const double start = job->bounds[2 * k], end = job->bounds[2 * k + 1];
  const size_t cap = job->region_bytes;
  double pos = start, region_at = start, base_lines = 0, base_plain = 0;
  size_t held = 0, prev_len = 0;
  uint8_t prev[8];
  p->stopped = -1;
  p->arena_limit = job->arena_limit;
#define STOP_AT(x, lines_, plain_)                                                                       \
  do {                                                                                                   \
    p->lines = (lines_), p->plain = (plain_), p->stopped = region_at - start + (double)(x);    \
    if (!put_before(p, region, (x), prev, prev_len, &p->stop_before_at, &p->stop_before_len)) p->error = ENOMEM; \
    return;                                                                                              \
  } while (0)
  for (;;) {
    if (__atomic_load_n(&job->cancel, __ATOMIC_RELAXED)) {
      p->error = ECANCELED;
      return;
    }
    size_t want = cap - held < READ_STEP ? cap - held : READ_STEP;
    if ((double)want > end - pos) want = (size_t)(end - pos);
    ssize_t n = 0;
    if (want > 0) {
      do n = pread(fd, region + held, want, (off_t)pos);
      while (n < 0 && errno == EINTR);
      if (n < 0) {
        p->error = errno;
        return;
      }
    }
    if (n == 0) {
      /* The end of the piece (or of a file that got shorter): an unfinished line goes to the JavaScript scanner. */
      if (held > 0) STOP_AT(0, base_lines, base_plain);
      p->lines = base_lines, p->plain = base_plain;
      return;
    }
    pos += (double)n;
    size_t filled = held + (size_t)n;
    const uint8_t *nl = last_byte(region, 0x0a, filled);
    if (!nl) {
      held = filled;
      if (held == cap) STOP_AT(0, base_lines, base_plain); /* a line longer than the region */
      continue;
    }
    size_t to = (size_t)(nl - region) + 1, from = 0;
    while (from < to) {
      pass_t pass = {0, 0, 0};
      size_t reached = scan(region, from, to, out, PASS_ENTRIES, job->max_record, &pass);
      for (uint32_t j = 0; j < pass.entries; j++) {
        const uint32_t *e = out + 4 * (size_t)j;
        size_t s = e[0], t = e[1];
        int other = (int)(e[3] & 1);
        double lines = base_lines + e[2], plain = base_plain + (double)(e[3] >> 1);
        size_t line_end = other ? t : (size_t)((const uint8_t *)memchr(region + t, 0x0a, to - t) - region) + 1;
        size_t line_start = s;
        if (!other) {
          const uint8_t *before = s > 0 ? last_byte(region, 0x0a, s) : NULL;
          line_start = before ? (size_t)(before - region) + 1 : 0;
        }
        uint32_t before_at = 0, before_len = 0, bytes_at = 0;
        int ok = p->count < PIECE_ENTRY_CAP && put_before(p, region, other ? s : line_end, prev, prev_len, &before_at, &before_len) &&
                 arena_put(p, region + s, t - s, NULL, 0, &bytes_at);
        const double rel = region_at - start;
        double fields[FIELDS] = {before_at, before_len, bytes_at, (double)(t - s), rel + (double)s, rel + (double)line_end, lines, plain * 2 + other};
        if (!ok || !add_entry(p, fields)) {
          p->used = p->count ? (size_t)p->entries[(p->count - 1) * FIELDS + 2] + (size_t)p->entries[(p->count - 1) * FIELDS + 3] : 0;
          STOP_AT(line_start, lines, plain);
        }
      }
      base_lines += pass.lines, base_plain += pass.plain;
      from = reached;
    }
    prev_len = to < 8 ? to : 8;
    memcpy(prev, region + to - prev_len, prev_len);
    memmove(region, region + to, filled - to);
    held = filled - to;
    region_at += (double)to;
  }
#undef STOP_AT
}
#endif

/* The memory a finished piece holds until it is taken (what it allocated, not only what it filled). */
static size_t held_bytes(const piece_t *p) { return p->arena_cap + p->entry_cap * FIELDS * sizeof(double); }

static void *prescan_thread(void *arg) {
  job_t *job = arg;
#ifdef __linux__
  setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), NICE);
#endif
  uint8_t *region = calloc(1, job->region_bytes + OVERREAD);
  uint32_t *out = malloc(4 * sizeof(uint32_t) * PASS_ENTRIES);
  int fd = open(job->path, O_RDONLY | O_CLOEXEC), open_error = fd < 0 ? errno : 0;
  for (;;) {
    pthread_mutex_lock(&job->mu);
    while (!job->cancel && job->pending >= job->pending_limit) pthread_cond_wait(&job->cv, &job->mu);
    int cancel = job->cancel;
    pthread_mutex_unlock(&job->mu);
    if (cancel) break;
    uint32_t k = (uint32_t)__atomic_fetch_add(job->counter, 1, __ATOMIC_SEQ_CST);
    if (k >= job->n) break;
    piece_t *p = &job->pieces[k];
    if (!region || !out) p->error = ENOMEM;
    else if (fd < 0) p->error = open_error;
#if HAVE_KERNEL
    else prescan_piece(job, k, fd, region, out);
#endif
    pthread_mutex_lock(&job->mu);
    p->state = PIECE_DONE;
    job->pending += held_bytes(p);
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
  }
  if (fd >= 0) close(fd);
  free(region);
  free(out);
  return NULL;
}

static void prescan_stop(job_t *job) {
  if (job->stopped) return;
  pthread_mutex_lock(&job->mu);
  job->cancel = 1;
  pthread_cond_broadcast(&job->cv);
  pthread_mutex_unlock(&job->mu);
  for (uint32_t t = 0; t < job->started; t++) pthread_join(job->tids[t], NULL);
  job->stopped = 1;
}

static void prescan_free(napi_env env, void *data, void *hint) {
  (void)hint;
  job_t *job = data;
  prescan_stop(job);
  if (job->counter_ref) napi_delete_reference(env, job->counter_ref);
  for (uint32_t k = 0; k < job->n; k++) free(job->pieces[k].entries), free(job->pieces[k].arena);
  pthread_mutex_destroy(&job->mu);
  pthread_cond_destroy(&job->cv);
  free(job->pieces), free(job->bounds), free(job->tids), free(job->path), free(job);
}

/*
 * prescanStart(path, bounds: Float64Array [start0, end0, start1, ...], counter: Int32Array (shared),
 * maxRecordBytes, threads, regionBytes[, arenaBytes, pendingBytes]) -> a handle. The threads claim
 * pieces from counter[0]. arenaBytes (default 8 MiB) bounds what one piece keeps before it is handed
 * over; pendingBytes (default 32 MiB) what finished pieces not yet taken keep before the threads wait.
 */
static napi_value prescan_start(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t arena_limit = PIECE_ARENA_LIMIT, pending_limit = PENDING_LIMIT;
  if (argc >= 7 && napi_get_value_uint32(env, argv[6], &arena_limit) != napi_ok) argc = 0;
  if (argc >= 8 && napi_get_value_uint32(env, argv[7], &pending_limit) != napi_ok) argc = 0;
  size_t path_length = 0, bound_count = 0, counter_count = 0, offset;
  void *bounds = NULL, *counter = NULL;
  napi_typedarray_type bounds_type, counter_type;
  napi_value ab;
  uint32_t max_record = 0, threads = 0, region_bytes = 0;
  if (argc < 6 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &path_length) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &bounds_type, &bound_count, &bounds, &ab, &offset) != napi_ok || bounds_type != napi_float64_array ||
      bound_count % 2 != 0 || napi_get_typedarray_info(env, argv[2], &counter_type, &counter_count, &counter, &ab, &offset) != napi_ok ||
      counter_type != napi_int32_array || counter_count < 1 || napi_get_value_uint32(env, argv[3], &max_record) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &threads) != napi_ok || napi_get_value_uint32(env, argv[5], &region_bytes) != napi_ok ||
      threads < 1 || threads > 64 || region_bytes < 64) {
    napi_throw_type_error(env, NULL, "prescan: bad arguments");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  job->path = malloc(path_length + 1);
  napi_get_value_string_utf8(env, argv[0], job->path, path_length + 1, &path_length);
  job->n = (uint32_t)(bound_count / 2);
  job->bounds = malloc(bound_count * sizeof(double) + 1);
  memcpy(job->bounds, bounds, bound_count * sizeof(double));
  job->counter = counter;
  napi_create_reference(env, argv[2], 1, &job->counter_ref);
  job->max_record = max_record, job->region_bytes = region_bytes, job->threads = threads, job->arena_limit = arena_limit, job->pending_limit = pending_limit;
  job->pieces = calloc(job->n + 1, sizeof(piece_t));
  job->tids = calloc(threads, sizeof(pthread_t));
  pthread_mutex_init(&job->mu, NULL);
  pthread_cond_init(&job->cv, NULL);
  for (uint32_t t = 0; t < threads; t++) {
    if (pthread_create(&job->tids[t], NULL, prescan_thread, job) != 0) break; /* the JavaScript threads claim the rest */
    job->started++;
  }
  napi_value handle;
  napi_create_external(env, job, prescan_free, NULL, &handle);
  if (job->started == 0) napi_throw_error(env, NULL, "prescan: no thread could start"); /* the handle's finalizer frees the job */
  return handle;
}

static job_t *job_of(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external || napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return data;
}

static void set_number(napi_env env, napi_value object, const char *name, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, object, name, v);
}

/*
 * prescanTake(handle, k, waitMs) -> the piece's result, or null (not done within waitMs, or already
 * taken): { error (errno, 0), lines, plain, stopped (-1: none), stopBefore: [at, length], entries:
 * Float64Array (8 numbers each, see prescan.ts), arena: Buffer }.
 */
static napi_value prescan_take(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  job_t *job = argc == 3 ? job_of(env, argv[0]) : NULL;
  uint32_t k = 0, wait_ms = 0;
  if (!job || napi_get_value_uint32(env, argv[1], &k) != napi_ok || napi_get_value_uint32(env, argv[2], &wait_ms) != napi_ok || k >= job->n) {
    napi_throw_type_error(env, NULL, "prescan: bad arguments");
    return NULL;
  }
  piece_t *p = &job->pieces[k];
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += wait_ms / 1000;
  until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&job->mu);
  while (wait_ms > 0 && p->state == PIECE_OPEN && !job->stopped)
    if (pthread_cond_timedwait(&job->cv, &job->mu, &until) == ETIMEDOUT) break;
  int ready = p->state == PIECE_DONE;
  if (ready) {
    p->state = PIECE_TAKEN;
    job->pending -= held_bytes(p);
    pthread_cond_broadcast(&job->cv);
  }
  pthread_mutex_unlock(&job->mu);
  if (!ready) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_object(env, &result);
  set_number(env, result, "error", p->error);
  set_number(env, result, "lines", p->lines);
  set_number(env, result, "plain", p->plain);
  set_number(env, result, "stopped", p->stopped);
  set_number(env, result, "stopBeforeAt", p->stop_before_at);
  set_number(env, result, "stopBeforeLength", p->stop_before_len);
  napi_value buffer, array, entries;
  void *data = NULL;
  napi_create_arraybuffer(env, p->count * FIELDS * sizeof(double), &data, &buffer);
  if (p->count) memcpy(data, p->entries, p->count * FIELDS * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, p->count * FIELDS, buffer, 0, &entries);
  napi_set_named_property(env, result, "entries", entries);
  napi_create_buffer_copy(env, p->used, p->used ? (const void *)p->arena : (const void *)"", NULL, &array);
  napi_set_named_property(env, result, "arena", array);
  free(p->entries), free(p->arena);
  p->entries = NULL, p->arena = NULL, p->count = p->used = p->entry_cap = p->arena_cap = 0;
  return result;
}

/* prescanStop(handle): the threads stop after their current chunk; returns once they have. */
static napi_value prescan_stop_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  job_t *job = argc == 1 ? job_of(env, argv[0]) : NULL;
  if (job) prescan_stop(job);
  return NULL;
}

/* isa() -> the instruction set the kernel runs with ("avx512", "avx2", or "none"). */
static napi_value isa_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#if HAVE_KERNEL
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &result);
#else
  napi_create_string_utf8(env, "none", NAPI_AUTO_LENGTH, &result);
#endif
  return result;
}

/* setIsa(name) -> whether the kernel now runs with it: for tests, which hold each one to the JavaScript scanner. */
static napi_value set_isa_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  char name[16] = "";
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 1) napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL);
  int ok = 0;
#if HAVE_KERNEL
  if (strcmp(name, "avx2") == 0) scan = scan_avx2, isa = "avx2", ok = 1;
  else if (strcmp(name, "avx512") == 0 && has_avx512()) scan = scan_avx512, isa = "avx512", ok = 1;
#endif
  napi_get_boolean(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
#if HAVE_KERNEL
  if (has_avx512()) scan = scan_avx512, isa = "avx512";
#endif
  napi_property_descriptor props[] = {
      {"supported", NULL, supported, NULL, NULL, NULL, napi_default, NULL},
      {"scan", NULL, scan_js, NULL, NULL, NULL, napi_default, NULL},
      {"prescanStart", NULL, prescan_start, NULL, NULL, NULL, napi_default, NULL},
      {"prescanTake", NULL, prescan_take, NULL, NULL, NULL, napi_default, NULL},
      {"prescanStop", NULL, prescan_stop_js, NULL, NULL, NULL, napi_default, NULL},
      {"isa", NULL, isa_js, NULL, NULL, NULL, napi_default, NULL},
      {"setIsa", NULL, set_isa_js, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
