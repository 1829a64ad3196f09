#!/bin/sh
# make deb: ioc_VERSION_ARCH.deb, for Debian 12 and its derivatives, in OUT_DIR (default: the
# repository). The binaries carry the Swift runtime (--static-swift-stdlib), so that the package
# depends on Debian's libraries only, found by dpkg-shlibdeps. The tree is the one `make install`
# stages (PREFIX=/usr), with the man pages generated from the argument parsers, the shells'
# completions, the Debian changelog and copyright, and maintainer scripts that create the user
# iocd and enable the unit the Debian way (deb-systemd-helper) without failing where systemd is
# not running.
#   IOC_BIN=DIR   package the static binaries already built in DIR instead of building them
#   IOC_SCRATCH=DIR   build in DIR instead of .build (a `swift test` running holds .build's lock)
set -eu
cd "$(dirname "$0")/.."
repository=$(pwd)
swift="${SWIFT:-swift}"
out="${OUT_DIR:-$repository}"
version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/IOCCore/Version.swift)
architecture=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

if [ -z "${IOC_BIN:-}" ]; then
    SWIFT="$swift" scripts/stamp-build.sh
    # The build's progress to standard error: standard output is the package's path alone. Symbols
    # bound at start and made read-only after (Debian's hardening flags for a daemon).
    release="-c release --static-swift-stdlib -Xlinker -z -Xlinker now -Xlinker -z -Xlinker relro"
    if [ -n "${IOC_SCRATCH:-}" ]; then release="$release --scratch-path $IOC_SCRATCH"; fi
    # shellcheck disable=SC2086
    "$swift" build $release --product iocd >&2
    # shellcheck disable=SC2086
    IOC_BIN=$("$swift" build $release --show-bin-path)
fi
if readelf -d "$IOC_BIN/iocd" | grep -q 'libswiftCore'; then
    echo "build-deb: $IOC_BIN/iocd links the Swift runtime dynamically; build with --static-swift-stdlib" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
# make install takes both programs from one folder: the one binary, and ioc as a name for it.
mkdir -p "$work/bin"
cp "$IOC_BIN/iocd" "$work/bin/iocd"
ln -s iocd "$work/bin/ioc"
make --no-print-directory install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system \
    SYSUSERSDIR=/usr/lib/sysusers.d IOC_CREATE_USER=no IOC_BIN="$work/bin" >/dev/null
# The package has man pages: the unit points at iocd(8) first.
sed -i 's|^Documentation=|Documentation=man:iocd(8) |' "$root/lib/systemd/system/iocd.service"
# One binary for both commands: iocd run under the name ioc is ioc (Sources/iocd/main.swift), so
# the runtime, Foundation and ICU's data are installed once, not twice.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/iocd"
ln -sf iocd "$root/usr/bin/ioc"

# Man pages, from the stripped binaries' own description of their arguments.
mkdir -p "$work/man"
scripts/generate-manual.py "$root/usr/bin" "$work/man" >/dev/null
for page in "$work"/man/*; do
    section="${page##*.}"
    install -D -m 0644 "$page" "$root/usr/share/man/man$section/$(basename "$page")"
    gzip -9n "$root/usr/share/man/man$section/$(basename "$page")"
done

# Completions for bash, zsh and fish, from the argument parser (bash's without its #! line: the
# file is sourced, not run).
for program in ioc iocd; do
    "$root/usr/bin/$program" --generate-completion-script bash | sed '1{/^#!/d}' \
        | install -D -m 0644 /dev/stdin "$root/usr/share/bash-completion/completions/$program"
    "$root/usr/bin/$program" --generate-completion-script zsh \
        | install -D -m 0644 /dev/stdin "$root/usr/share/zsh/vendor-completions/_$program"
    "$root/usr/bin/$program" --generate-completion-script fish \
        | install -D -m 0644 /dev/stdin "$root/usr/share/fish/vendor_completions.d/$program.fish"
done

# Documentation: a native package's changelog and the copyright in Debian's machine-readable form.
doc="$root/usr/share/doc/ioc"
install -m 0644 packaging/debian/copyright "$doc/copyright"
# Who answers for this build: Debian's DEBFULLNAME and DEBEMAIL when the builder sets them.
maintainer="${DEBFULLNAME:-IOC developers} <${DEBEMAIL:-ioc@localhost}>"
sed "s/@VERSION@/$version/g; s/@DATE@/$(date -u -R -d "@$SOURCE_DATE_EPOCH")/g; s/@MAINTAINER@/$maintainer/g" \
    packaging/debian/changelog \
    | gzip -9n > "$doc/changelog.gz"
install -D -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/ioc"

# The control area: every file under /etc is a conffile; dependencies from the binaries' libraries.
control="$root/DEBIAN"
mkdir -p "$control"
(cd "$root" && find etc -type f | sort | sed 's|^|/|') > "$control/conffiles"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$control/$script"; done
mkdir -p "$work/shlibs/debian"
printf 'Source: ioc\n\nPackage: ioc\nArchitecture: any\n' > "$work/shlibs/debian/control"
libraries=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/iocd" 2>/dev/null \
    | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed "s/@VERSION@/$version/; s/@ARCHITECTURE@/$architecture/; s/@SIZE@/$size/; s/@DEPENDS@/$libraries, adduser/;
    s/@MAINTAINER@/$maintainer/" \
    packaging/debian/control > "$control/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort | xargs md5sum) \
    > "$control/md5sums"
chmod 0644 "$control/control" "$control/conffiles" "$control/md5sums"

# Files as root:root with the modes make install gave; times from the revision (reproducible).
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
package="$out/ioc_${version}_${architecture}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >/dev/null
echo "$package"
