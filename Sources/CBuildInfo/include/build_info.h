#ifndef IOC_BUILD_INFO_H
#define IOC_BUILD_INFO_H

/* What the build knew of itself: the revision it was built from, when that revision was made (or
   SOURCE_DATE_EPOCH), and the compiler. scripts/stamp-build.sh writes them to build_stamp.h before
   `make` builds; a plain `swift build` without it says "unknown". */
const char *ioc_build_revision(void);
const char *ioc_build_date(void);
const char *ioc_build_swift_version(void);

#endif
