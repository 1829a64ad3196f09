#include "build_info.h"

#if __has_include("build_stamp.h")
#include "build_stamp.h"
#endif

#ifndef IOC_BUILD_REVISION
#define IOC_BUILD_REVISION "unknown"
#endif
#ifndef IOC_BUILD_DATE
#define IOC_BUILD_DATE "unknown"
#endif
#ifndef IOC_BUILD_SWIFT_VERSION
#define IOC_BUILD_SWIFT_VERSION "unknown"
#endif

const char *ioc_build_revision(void) { return IOC_BUILD_REVISION; }
const char *ioc_build_date(void) { return IOC_BUILD_DATE; }
const char *ioc_build_swift_version(void) { return IOC_BUILD_SWIFT_VERSION; }

/* jemalloc's options as built in (iocd links jemalloc; in a process with glibc's allocator the
   symbol is never read). An arena per processor rather than four, and freed pages given back to
   the kernel after two seconds rather than twenty: at 5,000 probe targets iocd then held 8-12 MiB
   less (BENCHMARKS.md, "jemalloc's settings"). An administrator's MALLOC_CONF applies after it. */
const char *malloc_conf = "percpu_arena:percpu,dirty_decay_ms:2000,muzzy_decay_ms:0";
