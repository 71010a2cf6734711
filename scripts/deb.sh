#!/bin/sh
# make deb: builds cyrus-replication_<version>_<arch>.deb from this tree
# alone (no network, no root): the static binary in /usr/lib/cyrus/bin with
# a link for every applet it lists (Debian's cyrus-replication puts its
# programs there), man pages generated from the applets' flag tables,
# copyright and changelog; packed by dpkg-deb --root-owner-group.
# The version is packaging/debian/changelog's.
set -eu
GO=${GO:-go}
OUT=${1:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
deb=$top/packaging/debian
# the first line's version: "cyrus-replication (1:0.1.0) bookworm; ..."
# (read with sed: dpkg-parsechangelog is dpkg-dev's, not on every machine)
version=$(sed -n '1s/^[a-z0-9.+-]* (\([^) ]*\)).*/\1/p' "$deb/changelog")
[ -n "$version" ] || { echo "deb: no version on the first line of $deb/changelog" >&2; exit 1; }
upstream=${version#*:}
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
umask 022
bindir=$root/usr/lib/cyrus/bin
doc=$root/usr/share/doc/cyrus-replication
man=$root/usr/share/man/man8
mkdir -p "$bindir" "$root/usr/sbin" "$doc" "$man" "$root/DEBIAN"

cd "$top"
# static (CGO_ENABLED=0), without urfave/cli's man-page generator, stripped
CGO_ENABLED=0 $GO build -trimpath -buildvcs=false -tags=urfave_cli_no_docs \
	-ldflags="-s -w" -o "$bindir/cyrus-replication" .
applets=$("$bindir/cyrus-replication" --help | sed -n 's/^applets: //p')
[ -n "$applets" ] || { echo "deb: the binary lists no applets" >&2; exit 1; }
for a in $applets; do
	ln -s cyrus-replication "$bindir/$a"
done
ln -s ../lib/cyrus/bin/cyrus-replication "$root/usr/sbin/cyrus-replication"

$GO run ./internal/mangen -o "$man" -version "$upstream"
for a in $applets; do
	[ -f "$man/$a.8" ] || { echo "deb: no man page for applet $a" >&2; exit 1; }
done
gzip -9n "$man"/*.8
# Debian's cyrus-replication names its pages cyrus-<program>(8)
for a in $applets; do
	ln -s "$a.8.gz" "$man/cyrus-$a.8.gz"
done

cp "$deb/copyright" "$doc/copyright"
mkdir -p "$root/usr/share/lintian/overrides"
cp "$deb/lintian-overrides" "$root/usr/share/lintian/overrides/cyrus-replication"
gzip -9nc "$deb/changelog" >"$doc/changelog.gz"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$deb/control.in" >"$root/DEBIAN/control"
(cd "$root" && find usr -type f | sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +

file=$OUT/cyrus-replication_${upstream}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$file" >/dev/null
echo "$file"
