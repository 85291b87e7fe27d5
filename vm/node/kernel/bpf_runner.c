// bpf-runner: a tiny helper process that gives Node (which has no syscall access) the kernel's
// bpf(2) for the kernel engine. It only ever LOADS programs, CREATES maps, TEST-RUNS programs
// (BPF_PROG_TEST_RUN), reads/writes map elements and consumes ring buffer records (mmap() of the
// map, as libbpf's ring_buffer). It never attaches anything to an
// interface, cgroup or hook, and it closes every fd it created when asked or when its input
// ends (the parent went away).
//
// Protocol (all integers little-endian, as on every machine that runs this):
//   request:  u32 len | u32 op | payload (len - 4 bytes)
//   response: u32 len | i32 err | payload (len - 4 bytes)      err = 0 or a positive errno
// One request at a time, answered in order: the parent blocks on the answer, so a single
// long-lived process serves thousands of test runs per second without a fork per run.
//
// Ops and payloads are documented at each handler and mirrored in protocol.ts.
//
// Usage:  bpf-runner --serve              serve requests on stdin/stdout
//         bpf-runner --serve --pin        the same, pinned to the CPU it starts on
//         bpf-runner --mkfifo A B         create FIFOs A and B (Node cannot mkfifo(3) itself)
//
// Why --pin: the parent blocks on every answer, so each request is two wake-ups. Across CPUs a
// wake-up costs ~30 us in a VM (an inter-processor interrupt through the hypervisor); with the
// runner pinned, the scheduler's affine wake-up pulls the parent onto the same CPU and a round
// trip drops from ~70 us to ~13 us (measured on the 2-vCPU Firecracker VM this was written on).
// It also makes the CPU a test run executes on, and so the per-CPU map slot it touches, fixed.

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

enum op {
  OP_PROBE = 1,
  OP_MAP_CREATE = 2,
  OP_PROG_LOAD = 3,
  OP_TEST_RUN = 4,
  OP_MAP_LOOKUP = 5,
  OP_MAP_UPDATE = 6,
  OP_MAP_DELETE = 7,
  OP_MAP_NEXT_KEY = 8,
  OP_CLOSE = 9,
  OP_TEST_RUN_MANY = 10,
  OP_PROG_INFO = 11,
  OP_MAP_LOOKUP_AND_DELETE = 12,
  OP_RINGBUF_DRAIN = 13,
  OP_MAP_FREEZE = 14,
  OP_OPEN_CGROUP = 15,
};

#define MAX_FD 65536
#define LOG_SIZE (4u << 20)

static char *log_buf; // the verifier's log (programs, BTF), allocated on first use

static unsigned char owned[MAX_FD / 8]; // fds this process created: the only ones CLOSE closes

static void own(int fd) { if (fd >= 0 && fd < MAX_FD) owned[fd / 8] |= (unsigned char)(1u << (fd % 8)); }
static int is_owned(int fd) { return fd >= 0 && fd < MAX_FD && (owned[fd / 8] >> (fd % 8)) & 1; }
static void disown(int fd) { if (fd >= 0 && fd < MAX_FD) owned[fd / 8] &= (unsigned char)~(1u << (fd % 8)); }

static void close_all(void) {
  for (int fd = 0; fd < MAX_FD; fd++) {
    if (is_owned(fd)) { close(fd); disown(fd); }
  }
}

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

// ---- framing ---------------------------------------------------------------------------

static int read_full(void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = read(0, p, n);
    if (got == 0) return -1; // parent closed its end: time to go
    if (got < 0) { if (errno == EINTR) continue; return -1; }
    p += got;
    n -= (size_t)got;
  }
  return 0;
}

static int write_full(const void *buf, size_t n) {
  const unsigned char *p = buf;
  while (n > 0) {
    ssize_t put = write(1, p, n);
    if (put < 0) { if (errno == EINTR) continue; return -1; }
    p += put;
    n -= (size_t)put;
  }
  return 0;
}

/** A growable output buffer: the response payload. */
struct out { unsigned char *buf; size_t len, cap; };

static void out_put(struct out *o, const void *data, size_t n) {
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + n) cap *= 2;
    unsigned char *grown = realloc(o->buf, cap);
    if (!grown) { fprintf(stderr, "bpf-runner: out of memory\n"); exit(2); }
    o->buf = grown;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, data, n);
  o->len += n;
}

static void out_u32(struct out *o, uint32_t v) { out_put(o, &v, 4); }

static int respond(int32_t err, const struct out *o) {
  uint32_t head[2] = { (uint32_t)(4 + o->len), (uint32_t)err };
  if (write_full(head, 8) < 0) return -1;
  return o->len ? write_full(o->buf, o->len) : 0;
}

/** A cursor over the request payload; every read is bounds-checked. */
struct in { const unsigned char *p; size_t left; int bad; };

static uint32_t in_u32(struct in *i) {
  uint32_t v = 0;
  if (i->left < 4) { i->bad = 1; return 0; }
  memcpy(&v, i->p, 4);
  i->p += 4;
  i->left -= 4;
  return v;
}

static uint64_t in_u64(struct in *i) {
  uint64_t lo = in_u32(i), hi = in_u32(i);
  return lo | (hi << 32);
}

static const unsigned char *in_bytes(struct in *i, size_t n) {
  if (i->left < n) { i->bad = 1; return NULL; }
  const unsigned char *p = i->p;
  i->p += n;
  i->left -= n;
  return p;
}

// ---- handlers: each returns 0 or a positive errno, and fills `o` ------------------------

// PROBE: () -> u32 euid, u32 possible_cpus, u32 jit_enabled(-1 unknown), u32 cpu (-1: not pinned),
//          str uname release.
// err = errno of loading the smallest program (r0 = 0; exit) as a socket filter: that is the
// question "does bpf() work for us here?", asked the only way that answers it for sure.
static int pinned_cpu = -1;

static int op_probe(struct out *o) {
  struct utsname u;
  uname(&u);
  uint32_t cpus = 0;
  FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
  if (f) {
    // A list such as "0-7" or "0,2-3": count the ids it names.
    char line[256];
    if (fgets(line, sizeof line, f)) {
      char *s = line;
      while (*s && *s != '\n') {
        long a = strtol(s, &s, 10), b = a;
        if (*s == '-') b = strtol(s + 1, &s, 10);
        cpus += (uint32_t)(b - a + 1);
        if (*s == ',') s++; else break;
      }
    }
    fclose(f);
  }
  int32_t jit = -1;
  f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
  if (f) { if (fscanf(f, "%d", &jit) != 1) jit = -1; fclose(f); }
  out_u32(o, (uint32_t)geteuid());
  out_u32(o, cpus);
  out_u32(o, (uint32_t)jit);
  out_u32(o, (uint32_t)pinned_cpu);
  out_put(o, u.release, strlen(u.release));

  struct bpf_insn prog[2] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = (uint64_t)(uintptr_t)prog;
  attr.insn_cnt = 2;
  attr.license = (uint64_t)(uintptr_t)"GPL";
  long fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0) return errno;
  close((int)fd);
  return 0;
}

// PROG_LOAD: u32 prog_type, expected_attach_type, prog_flags, log_level, n_maps, u32 map_fd[n_maps],
//            u32 n_insns, n_insns × 8 bytes
//            [optional: u32 btf_len, btf_len bytes of BTF, u32 n_func, n_func × (u32 insn_off,
//             u32 type_id): func_info, one record per subprogram, which the kernel needs for a
//             program that takes a callback's address (lddw BPF_PSEUDO_FUNC) or has a tail call
//             or LD_ABS in a subprogram, and libbpf sends for every program of an object with
//             BTF; the BTF fd is closed after the load, the program keeps its own reference]
//   -> ok:   u32 prog_fd, then the verifier log if log_level > 0 (1: summary, 2: every state,
//            4 = BPF_LOG_STATS: only "verification time N usec", "processed N insns ..."; the
//            levels combine as bits)
//   -> fail: err, payload = the verifier log (the load is retried with log_level 1 to get it:
//            loading without a log first keeps the common, accepted case fast)
// lddw with src_reg BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE carries a map *index* in imm;
// it is replaced by that map's fd here, the fd being this process's.

static int load_insns(uint32_t type, uint32_t attach, uint32_t flags, uint32_t want_log,
                      const unsigned char *maps, uint32_t n_maps, const unsigned char *raw, uint32_t n,
                      int btf_fd, const unsigned char *func_info, uint32_t n_func, struct out *o);

// BPF_BTF_LOAD of a program's BTF into *fd. A refusal is retried with the BTF verifier's log,
// which becomes the answer's payload (as a program's verifier log does), its last line saying
// that it was the BTF, not the program, that the kernel refused.
static int load_btf(const unsigned char *btf, uint32_t len, int *fd, struct out *o) {
  for (int attempt = 0; attempt < 2; attempt++) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.btf = (uint64_t)(uintptr_t)btf;
    attr.btf_size = len;
    if (attempt == 1) {
      if (!log_buf && !(log_buf = malloc(LOG_SIZE))) return ENOMEM;
      log_buf[0] = 0;
      attr.btf_log_level = 1;
      attr.btf_log_size = LOG_SIZE;
      attr.btf_log_buf = (uint64_t)(uintptr_t)log_buf;
    }
    long bfd = sys_bpf(BPF_BTF_LOAD, &attr);
    if (bfd >= 0) {
      *fd = (int)bfd;
      return 0;
    }
    int err = errno;
    if (attempt == 1 || (err != EINVAL && err != E2BIG && err != EACCES)) {
      if (attempt == 1) out_put(o, log_buf, strnlen(log_buf, LOG_SIZE));
      static const char why[] = "\n(BPF_BTF_LOAD refused the program's BTF)\n";
      out_put(o, why, sizeof why - 1);
      return err;
    }
  }
  return EINVAL;
}

// MAP_CREATE: u32 type, key_size, value_size, max_entries, flags [, u32 inner_map_fd
//             [, u32 btf_len (0: no BTF) [, btf_len bytes of BTF, u32 btf_key_type_id,
//             u32 btf_value_type_id] [, u64 map_extra]]]
//   -> u32 fd.
// inner_map_fd (ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template) is an fd this process
// already holds (an earlier MAP_CREATE's answer), or 0. The BTF describes the key and the value
// (a value with a struct bpf_spin_lock needs it: map_check_btf finds the lock through it); it is
// loaded, passed as btf_fd and closed after the create (the map keeps its own reference). A
// refused BTF answers with the BTF verifier's log, as PROG_LOAD does.
static int op_map_create(struct in *i, struct out *o) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = in_u32(i);
  attr.key_size = in_u32(i);
  attr.value_size = in_u32(i);
  attr.max_entries = in_u32(i);
  attr.map_flags = in_u32(i);
  if (i->left >= 4) attr.inner_map_fd = in_u32(i);
  const unsigned char *btf = NULL;
  uint32_t btf_len = 0;
  if (i->left >= 4) btf_len = in_u32(i);
  if (btf_len) {
    if (i->bad || btf_len > (16u << 20)) return EINVAL;
    btf = in_bytes(i, btf_len);
    attr.btf_key_type_id = in_u32(i);
    attr.btf_value_type_id = in_u32(i);
  }
  if (i->left >= 8) attr.map_extra = in_u64(i); // BLOOM_FILTER: its number of hash functions
  if (i->bad) return EINVAL;
  int btf_fd = -1;
  if (btf) {
    int err = load_btf(btf, btf_len, &btf_fd, o);
    if (err) return err;
    attr.btf_fd = (uint32_t)btf_fd;
  }
  long fd = sys_bpf(BPF_MAP_CREATE, &attr);
  int err = fd < 0 ? errno : 0;
  if (btf_fd >= 0) close(btf_fd);
  if (err) return err;
  own((int)fd);
  out_u32(o, (uint32_t)fd);
  return 0;
}

static int op_prog_load(struct in *i, struct out *o) {
  uint32_t type = in_u32(i), attach = in_u32(i), flags = in_u32(i), want_log = in_u32(i);
  uint32_t n_maps = in_u32(i);
  if (i->bad || n_maps > 4096) return EINVAL;
  const unsigned char *maps = in_bytes(i, (size_t)n_maps * 4);
  uint32_t n = in_u32(i);
  if (i->bad || n == 0 || n > (1u << 20)) return EINVAL;
  const unsigned char *raw = in_bytes(i, (size_t)n * 8);
  if (i->bad) return EINVAL;
  const unsigned char *btf = NULL, *func_info = NULL;
  uint32_t btf_len = 0, n_func = 0;
  if (i->left > 0) {
    btf_len = in_u32(i);
    if (i->bad || btf_len == 0 || btf_len > (16u << 20)) return EINVAL;
    btf = in_bytes(i, btf_len);
    n_func = in_u32(i);
    if (i->bad || n_func == 0 || n_func > n) return EINVAL;
    func_info = in_bytes(i, (size_t)n_func * 8);
    if (i->bad) return EINVAL;
  }
  int btf_fd = -1;
  if (btf) {
    int err = load_btf(btf, btf_len, &btf_fd, o);
    if (err) return err;
  }
  int err = load_insns(type, attach, flags, want_log, maps, n_maps, raw, n, btf_fd, func_info, n_func, o);
  if (btf_fd >= 0) close(btf_fd);
  return err;
}

static int load_insns(uint32_t type, uint32_t attach, uint32_t flags, uint32_t want_log,
                      const unsigned char *maps, uint32_t n_maps, const unsigned char *raw, uint32_t n,
                      int btf_fd, const unsigned char *func_info, uint32_t n_func, struct out *o) {
  struct bpf_insn *insns = malloc((size_t)n * sizeof *insns);
  if (!insns) return ENOMEM;
  memcpy(insns, raw, (size_t)n * 8);
  for (uint32_t k = 0; k + 1 < n; k++) {
    struct bpf_insn *ins = &insns[k];
    if (ins->code != (BPF_LD | BPF_IMM | BPF_DW)) continue;
    if (ins->src_reg == BPF_PSEUDO_MAP_FD || ins->src_reg == BPF_PSEUDO_MAP_VALUE) {
      uint32_t idx = (uint32_t)ins->imm;
      if (idx >= n_maps) { free(insns); return EBADF; }
      uint32_t fd;
      memcpy(&fd, maps + idx * 4, 4);
      if (!is_owned((int)fd)) { free(insns); return EBADF; }
      ins->imm = (int32_t)fd;
    }
    k++; // the second slot of lddw is not an instruction
  }
  if (!log_buf && !(log_buf = malloc(LOG_SIZE))) { free(insns); return ENOMEM; }

  union bpf_attr attr;
  for (int attempt = 0; attempt < 2; attempt++) {
    uint32_t level = want_log ? want_log : (attempt == 1 ? 1 : 0);
    int logging = level != 0;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = type;
    attr.expected_attach_type = attach;
    attr.prog_flags = flags;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = n;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    strcpy(attr.prog_name, "ebpf_wasm");
    if (btf_fd >= 0) {
      attr.prog_btf_fd = (uint32_t)btf_fd;
      attr.func_info_rec_size = 8; // sizeof(struct bpf_func_info)
      attr.func_info = (uint64_t)(uintptr_t)func_info;
      attr.func_info_cnt = n_func;
    }
    if (logging) {
      log_buf[0] = 0;
      attr.log_level = level;
      attr.log_size = LOG_SIZE;
      attr.log_buf = (uint64_t)(uintptr_t)log_buf;
    }
    long fd = sys_bpf(BPF_PROG_LOAD, &attr);
    int err = fd < 0 ? errno : 0;
    // ENOSPC with a log: the program loaded or not, but the log was cut. Retrying without
    // the log tells which; with rotating logs (Linux >= 6.4) the tail, where the error is, is kept.
    if (fd >= 0) {
      own((int)fd);
      out_u32(o, (uint32_t)fd);
      if (logging) out_put(o, log_buf, strnlen(log_buf, LOG_SIZE));
      free(insns);
      return 0;
    }
    if (attempt == 1 || want_log) {
      out_put(o, log_buf, strnlen(log_buf, LOG_SIZE));
      free(insns);
      return err;
    }
    // EBUSY: resolve_pseudo_ldimm64's refusals ("only one cgroup storage of each type").
    if (err != EACCES && err != EINVAL && err != E2BIG && err != ENOSPC && err != EBUSY) {
      free(insns);
      return err; // not a verifier refusal (EPERM, ENOMEM...): no log to fetch
    }
  }
  free(insns);
  return EINVAL;
}

// TEST_RUN: u32 prog_fd, repeat, flags, data_len, ctx_len, data_out_cap, ctx_out_cap, data, ctx
//   -> u32 retval, u32 duration (avg ns per run), u32 data_out_len, u32 ctx_out_len, data_out, ctx_out
// ENOSPC (an output buffer too small) is returned with the truncated output; ctx_out is then
// zeroes (the kernel copies it back only after data_out fitted).
static int op_test_run(struct in *i, struct out *o) {
  uint32_t fd = in_u32(i), repeat = in_u32(i), flags = in_u32(i);
  uint32_t data_len = in_u32(i), ctx_len = in_u32(i), data_cap = in_u32(i), ctx_cap = in_u32(i);
  if (i->bad || data_cap > (64u << 20) || ctx_cap > (1u << 20)) return EINVAL;
  const unsigned char *data = in_bytes(i, data_len);
  const unsigned char *ctx = in_bytes(i, ctx_len);
  if (i->bad) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  unsigned char *data_out = data_cap ? malloc(data_cap) : NULL;
  unsigned char *ctx_out = ctx_cap ? calloc(1, ctx_cap) : NULL;
  if ((data_cap && !data_out) || (ctx_cap && !ctx_out)) { free(data_out); free(ctx_out); return ENOMEM; }

  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.test.prog_fd = fd;
  attr.test.repeat = repeat;
  attr.test.flags = flags;
  attr.test.data_in = (uint64_t)(uintptr_t)data;
  attr.test.data_size_in = data_len;
  attr.test.data_out = (uint64_t)(uintptr_t)data_out;
  attr.test.data_size_out = data_cap;
  if (ctx_len) {
    attr.test.ctx_in = (uint64_t)(uintptr_t)ctx;
    attr.test.ctx_size_in = ctx_len;
  }
  attr.test.ctx_out = (uint64_t)(uintptr_t)ctx_out;
  attr.test.ctx_size_out = ctx_cap;
  long rc = sys_bpf(BPF_PROG_TEST_RUN, &attr);
  int err = rc < 0 ? errno : 0;
  if (err && err != ENOSPC) { free(data_out); free(ctx_out); return err; }
  uint32_t dlen = attr.test.data_size_out < data_cap ? attr.test.data_size_out : data_cap;
  uint32_t clen = attr.test.ctx_size_out < ctx_cap ? attr.test.ctx_size_out : ctx_cap;
  out_u32(o, attr.test.retval);
  out_u32(o, attr.test.duration);
  out_u32(o, dlen);
  out_u32(o, clen);
  if (dlen) out_put(o, data_out, dlen);
  if (clen) out_put(o, ctx_out, clen);
  free(data_out);
  free(ctx_out);
  return err;
}

// TEST_RUN_MANY: u32 prog_fd, repeat, flags, count, ctx_len, data_out_extra, xdp, ctx, then
//   count × (u32 len, len bytes)
//   ->  count × (u32 err, u32 retval, u32 duration, u32 meta_len, u32 data_out_len, data_out)
// One round trip for a whole capture: each packet is its own BPF_PROG_TEST_RUN with the same
// ctx_in, its output buffer `len + data_out_extra` bytes (programs may grow packets).
//
// xdp = 1: the program is XDP and `ctx` a struct xdp_md (shorter is zero-padded). An XDP test
// run's data_out starts at data_meta, not data (net/bpf/test_run.c bpf_prog_test_run_xdp hands
// bpf_test_finish xdp.data_meta), so metadata pushed with bpf_xdp_adjust_meta would read as
// packet bytes. The kernel says how long the metadata is only through ctx_out (xdp_md.data =
// data - data_meta, xdp_convert_buff_to_md), and fills ctx_out only for a run given a ctx, so
// each run gets this xdp_md as ctx_in with data_end set to the packet's length (what the kernel
// assumes without a ctx; older kernels insist on it) and data_meta 0 (the kernel requires it);
// meta_len is ctx_out's data, the bytes of data_out before the frame. 0 for other programs
// and for a run that failed.
static int op_test_run_many(struct in *i, struct out *o) {
  uint32_t fd = in_u32(i), repeat = in_u32(i), flags = in_u32(i), count = in_u32(i);
  uint32_t ctx_len = in_u32(i), extra = in_u32(i), xdp = in_u32(i);
  const unsigned char *ctx = in_bytes(i, ctx_len);
  if (i->bad || extra > (1u << 20) || (xdp && ctx_len > sizeof(struct xdp_md))) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  struct xdp_md md_in, md_out;
  if (xdp) {
    memset(&md_in, 0, sizeof md_in);
    memcpy(&md_in, ctx, ctx_len);
    md_in.data_meta = 0;
  }
  unsigned char *out_buf = NULL;
  size_t out_cap = 0;
  for (uint32_t k = 0; k < count; k++) {
    uint32_t len = in_u32(i);
    const unsigned char *data = in_bytes(i, len);
    if (i->bad) { free(out_buf); return EINVAL; }
    size_t cap = (size_t)len + extra;
    if (cap > out_cap) {
      unsigned char *grown = realloc(out_buf, cap ? cap : 1);
      if (!grown) { free(out_buf); return ENOMEM; }
      out_buf = grown;
      out_cap = cap;
    }
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.test.prog_fd = fd;
    attr.test.repeat = repeat;
    attr.test.flags = flags;
    attr.test.data_in = (uint64_t)(uintptr_t)data;
    attr.test.data_size_in = len;
    attr.test.data_out = (uint64_t)(uintptr_t)out_buf;
    attr.test.data_size_out = (uint32_t)cap;
    if (xdp) {
      md_in.data_end = len;
      memset(&md_out, 0, sizeof md_out);
      attr.test.ctx_in = (uint64_t)(uintptr_t)&md_in;
      attr.test.ctx_size_in = sizeof md_in;
      attr.test.ctx_out = (uint64_t)(uintptr_t)&md_out;
      attr.test.ctx_size_out = sizeof md_out;
    } else if (ctx_len) {
      attr.test.ctx_in = (uint64_t)(uintptr_t)ctx;
      attr.test.ctx_size_in = ctx_len;
    }
    int err = sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0 ? errno : 0;
    uint32_t dlen = err && err != ENOSPC ? 0 : (attr.test.data_size_out < cap ? attr.test.data_size_out : (uint32_t)cap);
    // md_out stays zero unless the run succeeded (the kernel copies ctx_out after data_out).
    uint32_t meta = xdp && !err && md_out.data <= dlen ? md_out.data : 0;
    out_u32(o, (uint32_t)err);
    out_u32(o, attr.test.retval);
    out_u32(o, attr.test.duration);
    out_u32(o, meta);
    out_u32(o, dlen);
    if (dlen) out_put(o, out_buf, dlen);
  }
  free(out_buf);
  return 0;
}

// A key of key_len bytes from the request, or NULL when key_len is 0: the key-less maps (QUEUE,
// STACK) take no key, and the kernel refuses a non-NULL one for them with EINVAL
// (__bpf_copy_key in kernel/bpf/syscall.c).
static const unsigned char *in_key(struct in *i, uint32_t klen) {
  const unsigned char *key = in_bytes(i, klen);
  return klen ? key : NULL;
}

// MAP_LOOKUP: u32 fd, u32 key_len, u32 value_len, u64 flags, key -> value bytes (ENOENT: absent)
// MAP_LOOKUP_AND_DELETE: the same payload and answer, BPF_MAP_LOOKUP_AND_DELETE_ELEM.
// key_len 0 (QUEUE / STACK): lookup = peek, lookup-and-delete = pop.
static int map_lookup_cmd(int cmd, struct in *i, struct out *o) {
  uint32_t fd = in_u32(i), klen = in_u32(i), vlen = in_u32(i);
  uint64_t flags = in_u64(i);
  const unsigned char *key = in_key(i, klen);
  if (i->bad || vlen > (64u << 20)) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  unsigned char *value = malloc(vlen ? vlen : 1);
  if (!value) return ENOMEM;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)key;
  attr.value = (uint64_t)(uintptr_t)value;
  attr.flags = flags;
  if (sys_bpf(cmd, &attr) < 0) { int err = errno; free(value); return err; }
  out_put(o, value, vlen);
  free(value);
  return 0;
}

static int op_map_lookup(struct in *i, struct out *o) { return map_lookup_cmd(BPF_MAP_LOOKUP_ELEM, i, o); }
static int op_map_lookup_and_delete(struct in *i, struct out *o) { return map_lookup_cmd(BPF_MAP_LOOKUP_AND_DELETE_ELEM, i, o); }

// MAP_UPDATE: u32 fd, u32 key_len, u32 value_len, u64 flags, key, value -> ()
// key_len 0 (QUEUE / STACK): push; flags BPF_EXIST drops the oldest value of a full map.
static int op_map_update(struct in *i) {
  uint32_t fd = in_u32(i), klen = in_u32(i), vlen = in_u32(i);
  uint64_t flags = in_u64(i);
  const unsigned char *key = in_key(i, klen);
  const unsigned char *value = in_bytes(i, vlen);
  if (i->bad) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)key;
  attr.value = (uint64_t)(uintptr_t)value;
  attr.flags = flags;
  return sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) < 0 ? errno : 0;
}

// MAP_FREEZE: u32 fd -> (); BPF_MAP_FREEZE (cmd 22): user space can no longer write the map,
// and a BPF_F_RDONLY_PROG array's values become constants for the verifier (libbpf's .rodata).
static int op_map_freeze(struct in *i) {
  uint32_t fd = in_u32(i);
  if (i->bad) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = fd;
  return sys_bpf(BPF_MAP_FREEZE, &attr) < 0 ? errno : 0;
}

// OPEN_CGROUP: u32 path_len, path -> u32 fd: a cgroup v2 directory opened read-only, for a
// CGROUP_ARRAY slot (BPF_MAP_UPDATE_ELEM takes its fd). Anything but a directory of a cgroup2
// file system is refused (ENOTDIR / EMEDIUMTYPE): this runner opens nothing else. Opening a
// cgroup attaches nothing to it.
#define CGROUP2_SUPER_MAGIC 0x63677270
static int op_open_cgroup(struct in *i, struct out *o) {
  uint32_t len = in_u32(i);
  const unsigned char *path = in_bytes(i, len);
  if (i->bad || len == 0 || len > 4095 || memchr(path, 0, len)) return EINVAL;
  char buf[4096];
  memcpy(buf, path, len);
  buf[len] = 0;
  int fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct statfs fs;
  if (fstatfs(fd, &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
    close(fd);
    return EMEDIUMTYPE;
  }
  own(fd);
  out_u32(o, (uint32_t)fd);
  return 0;
}

// MAP_DELETE: u32 fd, u32 key_len, key -> ()
static int op_map_delete(struct in *i) {
  uint32_t fd = in_u32(i), klen = in_u32(i);
  const unsigned char *key = in_key(i, klen);
  if (i->bad) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)key;
  return sys_bpf(BPF_MAP_DELETE_ELEM, &attr) < 0 ? errno : 0;
}

// MAP_NEXT_KEY: u32 fd, u32 key_len, u32 has_key, key (if has_key) -> next key (ENOENT: no more)
static int op_map_next_key(struct in *i, struct out *o) {
  uint32_t fd = in_u32(i), klen = in_u32(i), has = in_u32(i);
  const unsigned char *key = has ? in_bytes(i, klen) : NULL;
  if (i->bad || klen == 0 || klen > (1u << 16)) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  unsigned char next[1u << 16];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)key;
  attr.next_key = (uint64_t)(uintptr_t)next;
  if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &attr) < 0) return errno;
  out_put(o, next, klen);
  return 0;
}

// PROG_INFO: u32 prog_fd -> u32 verified_insns, u32 xlated_prog_len, u32 jited_prog_len,
//            u64 load_time (ns since boot)
// BPF_OBJ_GET_INFO_BY_FD on a program this process loaded. verified_insns (Linux >= 5.16) is the
// verifier's "processed N insns" figure for the load.
// BPF_OBJ_GET_INFO_BY_FD into `info` (a struct bpf_prog_info or bpf_map_info): 0 or errno.
static int obj_info(uint32_t fd, void *info, uint32_t len) {
  memset(info, 0, len);
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.info.bpf_fd = fd;
  attr.info.info_len = len;
  attr.info.info = (uint64_t)(uintptr_t)info;
  return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0 ? errno : 0;
}

static int op_prog_info(struct in *i, struct out *o) {
  uint32_t fd = in_u32(i);
  if (i->bad) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  struct bpf_prog_info info;
  int err = obj_info(fd, &info, sizeof info);
  if (err) return err;
  out_u32(o, info.verified_insns);
  out_u32(o, info.xlated_prog_len);
  out_u32(o, info.jited_prog_len);
  uint64_t load_time = info.load_time;
  out_put(o, &load_time, 8);
  return 0;
}

// RINGBUF_DRAIN: u32 map_fd, u32 max_records (0: all)
//   -> u64 consumer_pos, u64 producer_pos (after the drain), u32 count, count × (u32 len, len bytes)
// The consumer side of a BPF_MAP_TYPE_RINGBUF as libbpf's ringbuf_process_ring reads it: the
// map is mmap()ed as the kernel lays it out (kernel/bpf/ringbuf.c) — the consumer page read-write
// at offset 0, the producer page and the data read-only at offset page_size, the data mapped
// twice in a row so a record that wraps round the end reads as one piece. From the consumer
// position to the producer position: each record is an 8-byte header {u32 len | BUSY_BIT (1<<31)
// | DISCARD_BIT (1<<30), u32 pg_off} and len bytes, the whole rounded up to 8. A BUSY record
// (reserved, not submitted) ends the drain; a discarded one is skipped; the consumer position is
// published after each record so the kernel can reuse the space. Mapped per request and unmapped
// before the answer: drains are rare next to test runs, and nothing outlives the request.
#define RB_BUSY_BIT (1u << 31)
#define RB_DISCARD_BIT (1u << 30)
#define RB_HDR_SZ 8u

static int op_ringbuf_drain(struct in *i, struct out *o) {
  uint32_t fd = in_u32(i), limit = in_u32(i);
  if (i->bad) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  struct bpf_map_info info;
  int err = obj_info(fd, &info, sizeof info);
  if (err) return err;
  if (info.type != BPF_MAP_TYPE_RINGBUF) return EINVAL;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t size = info.max_entries; // a power of 2, a multiple of the page size (the kernel checked)
  size_t prod_len = page + 2 * size;
  void *cons_map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
  if (cons_map == MAP_FAILED) return errno;
  void *prod_map = mmap(NULL, prod_len, PROT_READ, MAP_SHARED, (int)fd, (off_t)page);
  if (prod_map == MAP_FAILED) { err = errno; munmap(cons_map, page); return err; }
  unsigned long *consumer_pos = cons_map;
  const unsigned long *producer_pos = prod_map;
  const unsigned char *data = (const unsigned char *)prod_map + page;
  unsigned long mask = (unsigned long)size - 1;

  unsigned long cons = __atomic_load_n(consumer_pos, __ATOMIC_ACQUIRE);
  unsigned long prod = __atomic_load_n(producer_pos, __ATOMIC_ACQUIRE);
  size_t head = o->len; // positions and count are filled in at the end
  uint64_t zero64 = 0;
  out_put(o, &zero64, 8);
  out_put(o, &zero64, 8);
  out_u32(o, 0);
  uint32_t count = 0;
  while (cons < prod && (limit == 0 || count < limit)) {
    const unsigned char *hdr = data + (cons & mask);
    uint32_t len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
    if (len & RB_BUSY_BIT) break;
    uint32_t size_of = len & ~(RB_BUSY_BIT | RB_DISCARD_BIT);
    if (!(len & RB_DISCARD_BIT)) {
      out_u32(o, size_of);
      out_put(o, hdr + RB_HDR_SZ, size_of);
      count++;
    }
    cons += (size_of + RB_HDR_SZ + 7) & ~7u;
    __atomic_store_n(consumer_pos, cons, __ATOMIC_RELEASE);
    // The producer may have moved on (not while we block the only caller, but as libbpf does).
    if (cons >= prod) prod = __atomic_load_n(producer_pos, __ATOMIC_ACQUIRE);
  }
  uint64_t c64 = cons, p64 = prod;
  memcpy(o->buf + head, &c64, 8);
  memcpy(o->buf + head + 8, &p64, 8);
  memcpy(o->buf + head + 16, &count, 4);
  munmap(prod_map, prod_len);
  munmap(cons_map, page);
  return 0;
}

// CLOSE: u32 fd -> ()   Only fds this process created; anything else is EBADF.
static int op_close(struct in *i) {
  uint32_t fd = in_u32(i);
  if (i->bad) return EINVAL;
  if (!is_owned((int)fd)) return EBADF;
  disown((int)fd);
  return close((int)fd) < 0 ? errno : 0;
}

static void pin_here(void) {
  int cpu = sched_getcpu();
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) == 0) pinned_cpu = cpu;
}

static int serve(int pin) {
  if (pin) pin_here();
  unsigned char *req = NULL;
  size_t req_cap = 0;
  struct out o = { 0 };
  for (;;) {
    uint32_t len;
    if (read_full(&len, 4) < 0) break;
    if (len < 4 || len > (256u << 20)) { fprintf(stderr, "bpf-runner: bad frame length %u\n", len); break; }
    if (len > req_cap) {
      free(req);
      req_cap = len;
      if (!(req = malloc(req_cap))) { fprintf(stderr, "bpf-runner: out of memory\n"); break; }
    }
    if (read_full(req, len) < 0) break;
    uint32_t op;
    memcpy(&op, req, 4);
    struct in in = { req + 4, len - 4, 0 };
    o.len = 0;
    int err;
    switch (op) {
      case OP_PROBE: err = op_probe(&o); break;
      case OP_MAP_CREATE: err = op_map_create(&in, &o); break;
      case OP_PROG_LOAD: err = op_prog_load(&in, &o); break;
      case OP_TEST_RUN: err = op_test_run(&in, &o); break;
      case OP_MAP_LOOKUP: err = op_map_lookup(&in, &o); break;
      case OP_MAP_UPDATE: err = op_map_update(&in); break;
      case OP_MAP_DELETE: err = op_map_delete(&in); break;
      case OP_MAP_NEXT_KEY: err = op_map_next_key(&in, &o); break;
      case OP_CLOSE: err = op_close(&in); break;
      case OP_TEST_RUN_MANY: err = op_test_run_many(&in, &o); break;
      case OP_PROG_INFO: err = op_prog_info(&in, &o); break;
      case OP_MAP_LOOKUP_AND_DELETE: err = op_map_lookup_and_delete(&in, &o); break;
      case OP_RINGBUF_DRAIN: err = op_ringbuf_drain(&in, &o); break;
      case OP_MAP_FREEZE: err = op_map_freeze(&in); break;
      case OP_OPEN_CGROUP: err = op_open_cgroup(&in, &o); break;
      default: err = ENOSYS; break;
    }
    if (respond(err, &o) < 0) break;
  }
  close_all();
  free(req);
  free(o.buf);
  free(log_buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--serve") == 0) return serve(0);
  if (argc == 3 && strcmp(argv[1], "--serve") == 0 && strcmp(argv[2], "--pin") == 0) return serve(1);
  if (argc == 4 && strcmp(argv[1], "--mkfifo") == 0) {
    for (int k = 2; k < 4; k++) {
      if (mkfifo(argv[k], 0600) < 0) { perror(argv[k]); return 1; }
    }
    return 0;
  }
  fprintf(stderr, "usage: bpf-runner --serve [--pin] | --mkfifo PATH PATH\n");
  return 64;
}
