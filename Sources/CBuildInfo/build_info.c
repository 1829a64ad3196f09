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
