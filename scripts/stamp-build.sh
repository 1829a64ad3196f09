#!/bin/sh
# Writes what `iocd --version` reports of the build into Sources/CBuildInfo/build_stamp.h (not
# committed): the revision, its commit time (or SOURCE_DATE_EPOCH, so that a package built twice
# from one revision is the same), and the Swift compiler's version. The file is rewritten only when
# it would change, so that an unchanged revision does not rebuild anything.
set -eu
cd "$(dirname "$0")/.."
swift="${SWIFT:-swift}"
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo)}"
if [ -n "$epoch" ]; then date=$(date -u -d "@$epoch" +%Y%m%d-%H:%M:%S); else date=unknown; fi
compiler=$("$swift" --version 2>/dev/null | sed -n 's/.*Swift version \([^ ]*\).*/\1/p' | head -n 1)
[ -n "$compiler" ] || compiler=unknown
stamp=Sources/CBuildInfo/build_stamp.h
new=$(printf '/* Written by scripts/stamp-build.sh; not committed. */\n#define IOC_BUILD_REVISION "%s"\n#define IOC_BUILD_DATE "%s"\n#define IOC_BUILD_SWIFT_VERSION "%s"\n' \
    "$revision" "$date" "$compiler")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$new" ]; then
    printf '%s\n' "$new" > "$stamp"
    # The compiler's dependency file may not list a header that did not exist at the last build.
    touch Sources/CBuildInfo/build_info.c
fi
