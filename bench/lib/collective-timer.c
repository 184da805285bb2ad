/*
 * LD_PRELOAD shim for bench/multi-host.ts: times every collective call XGBoost 1.7 makes on its
 * rabit engine (allreduce, broadcast, allgather — XGBoost's own histogram and sketch reductions and
 * the ones sagebrew makes through XGCommunicatorAllreduce/Broadcast alike) and appends one line per
 * call to the file named by $SAGEBREW_BENCH_COLLECTIVE_LOG:
 * "op<TAB>start ns (CLOCK_MONOTONIC)<TAB>duration ns<TAB>bytes".
 *
 * It wraps the engine's Try* functions, which libxgboost calls through its PLT (bound by symbol),
 * so a definition preloaded into the process wins over the library's own; the shim then calls the
 * library's own, found through a handle on libxgboost (loaded later, with dlopen, by koffi). The
 * engine's virtual Allreduce is not a usable hook: the compiler devirtualised its calls. A time is
 * the whole exchange: sending, receiving, reducing, and waiting for the slower peer. XGBoost 2.1 and
 * newer have no rabit engine: nothing is interposed there and the log stays empty.
 *
 * Build: gcc -O2 -shared -fPIC -o collective-timer.so collective-timer.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *xgboost;
static int fd = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int find_xgboost(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  if (info->dlpi_name && strstr(info->dlpi_name, "libxgboost")) {
    *(const char **)data = info->dlpi_name;
    return 1;
  }
  return 0;
}

static void init(void) {
  const char *name = NULL;
  dl_iterate_phdr(find_xgboost, &name);
  if (name) xgboost = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
  const char *path = getenv("SAGEBREW_BENCH_COLLECTIVE_LOG");
  if (path) fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* The library's own definition of `symbol`; never this shim's (that would recurse). */
static void *original(const char *symbol, void *self) {
  pthread_once(&once, init);
  void *fn = xgboost ? dlsym(xgboost, symbol) : NULL;
  if (!fn || fn == self) {
    fprintf(stderr, "collective-timer: cannot find libxgboost's own %s\n", symbol);
    abort();
  }
  return fn;
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void record(const char *op, long long start, unsigned long bytes) {
  long long end = now_ns();
  if (fd < 0) return;
  char line[160];
  int n = snprintf(line, sizeof line, "%s\t%lld\t%lld\t%lu\n", op, start, end - start, bytes);
  if (write(fd, line, (size_t)n) < 0) {
    /* a benchmark log that cannot be written: the bench reports no collective figures */
  }
}

typedef void (*reducer_fn)(const void *, void *, int, const void *);

#define TRY_ALLREDUCE "_ZN5rabit6engine13AllreduceBase12TryAllreduceEPvmmPFvPKvS2_iRKN3MPI8DatatypeEE"
#define TRY_BROADCAST "_ZN5rabit6engine13AllreduceBase12TryBroadcastEPvmi"
#define TRY_ALLGATHER "_ZN5rabit6engine13AllreduceBase16TryAllgatherRingEPvmmmm"

int _ZN5rabit6engine13AllreduceBase12TryAllreduceEPvmmPFvPKvS2_iRKN3MPI8DatatypeEE(void *self, void *buf,
                                                                                  size_t type_nbytes,
                                                                                  size_t count,
                                                                                  reducer_fn reducer) {
  static int (*fn)(void *, void *, size_t, size_t, reducer_fn);
  if (!fn)
    fn = (int (*)(void *, void *, size_t, size_t, reducer_fn))original(
        TRY_ALLREDUCE, (void *)_ZN5rabit6engine13AllreduceBase12TryAllreduceEPvmmPFvPKvS2_iRKN3MPI8DatatypeEE);
  long long t0 = now_ns();
  int r = fn(self, buf, type_nbytes, count, reducer);
  record("allreduce", t0, (unsigned long)(type_nbytes * count));
  return r;
}

int _ZN5rabit6engine13AllreduceBase12TryBroadcastEPvmi(void *self, void *buf, size_t size, int root) {
  static int (*fn)(void *, void *, size_t, int);
  if (!fn)
    fn = (int (*)(void *, void *, size_t, int))original(
        TRY_BROADCAST, (void *)_ZN5rabit6engine13AllreduceBase12TryBroadcastEPvmi);
  long long t0 = now_ns();
  int r = fn(self, buf, size, root);
  record("broadcast", t0, (unsigned long)size);
  return r;
}

int _ZN5rabit6engine13AllreduceBase16TryAllgatherRingEPvmmmm(void *self, void *buf, size_t total,
                                                              size_t begin, size_t end, size_t prev) {
  static int (*fn)(void *, void *, size_t, size_t, size_t, size_t);
  if (!fn)
    fn = (int (*)(void *, void *, size_t, size_t, size_t, size_t))original(
        TRY_ALLGATHER, (void *)_ZN5rabit6engine13AllreduceBase16TryAllgatherRingEPvmmmm);
  long long t0 = now_ns();
  int r = fn(self, buf, total, begin, end, prev);
  record("allgather", t0, (unsigned long)total);
  return r;
}
