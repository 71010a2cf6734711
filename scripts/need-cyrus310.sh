#!/bin/sh
# Makes sure a Debian trixie root with real Cyrus 3.10 is here for the
# integration tests (Cyrus 3.10 runs in it under chroot beside the host's
# 3.6). Built once with debootstrap from Debian's archive and kept; rebuilt
# when missing or incomplete. Needs root.
#
#   scripts/need-cyrus310.sh [ROOT]      default ROOT: /var/cache/cyrepl/trixie
#   CYREPL_DEBIAN_MIRROR                 default http://deb.debian.org/debian
#
# The root's cyrus user gets the host's uid (files the tests chown on the
# host must belong to the same cyrus inside); mail (8) and sasl (45) are
# Debian's fixed ids on both. Nothing stays mounted: the package scripts run
# in a private mount namespace (unshare) that ends with them.
set -eu
root="${1:-/var/cache/cyrepl/trixie}"
mirror="${CYREPL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
pkgs="cyrus-imapd cyrus-replication cyrus-clients cyrus-admin sasl2-bin"
stamp="$root/.cyrepl-ready"

if [ "$(id -u)" != 0 ]; then
  echo "need-cyrus310: building the Cyrus 3.10 (Debian trixie) root needs root" >&2
  exit 1
fi
uid=$(id -u cyrus 2>/dev/null) || {
  echo "need-cyrus310: no cyrus user on the host: install Debian's Cyrus 3.6 first (scripts/need-cyrus.sh)" >&2
  exit 1
}

# ready: the stamp names the host's cyrus uid and every program is there.
ready() {
  [ -f "$stamp" ] && grep -qx "uid=$uid" "$stamp" || return 1
  for p in master imapd lmtpd timsieved sync_client sync_server cyr_synclog cyr_info \
    chk_cyrus reconstruct mbexamine mbpath ctl_mboxlist cyr_dbtool cyr_expire quota; do
    [ -x "$root/usr/lib/cyrus/bin/$p" ] || return 1
  done
  [ -x "$root/usr/sbin/saslpasswd2" ]
}

mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9
if ready; then exit 0; fi

# A clean CI machine has no debootstrap: install it from the host's
# archive (Debian's debootstrap knows trixie from bookworm's 1.0.128 on).
if ! command -v debootstrap >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "need-cyrus310: debootstrap missing and no apt-get to install it: install debootstrap" >&2
    exit 1
  fi
  echo "need-cyrus310: installing debootstrap" >&2
  if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap debian-archive-keyring ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap debian-archive-keyring; }; } >"$root.apt.log" 2>&1; then
    tail -5 "$root.apt.log" >&2
    echo "need-cyrus310: apt-get install debootstrap debian-archive-keyring failed (log: $root.apt.log)" >&2
    exit 1
  fi
fi
for t in debootstrap unshare chroot; do
  command -v $t >/dev/null 2>&1 || {
    echo "need-cyrus310: $t missing (apt-get install -y debootstrap util-linux coreutils)" >&2
    exit 1
  }
done

new="$root.new"
log="$root.log"
rm -rf "$new"
echo "need-cyrus310: building a Debian trixie root with Cyrus 3.10 in $root (a few minutes, once; log: $log)" >&2
if ! debootstrap --variant=minbase trixie "$new" "$mirror" >"$log" 2>&1; then
  tail -5 "$log" >&2
  echo "need-cyrus310: debootstrap trixie from $mirror failed: is Debian's archive reachable? (set CYREPL_DEBIAN_MIRROR for another mirror; full log: $log)" >&2
  rm -rf "$new"
  exit 1
fi
printf '#!/bin/sh\n# cyrus-replication tests: no service starts in this root\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
chmod 755 "$new/usr/sbin/policy-rc.d"
if ! grep -q '^cyrus:' "$new/etc/passwd"; then
  echo "cyrus:x:$uid:8:Cyrus Mailsystem User,,,:/var/spool/cyrus:/bin/sh" >>"$new/etc/passwd"
  echo "cyrus:*:20000:0:99999:7:::" >>"$new/etc/shadow"
fi
if ! unshare --mount --propagation private -- sh -c '
    mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
    exec chroot "$1" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $2"
  ' sh "$new" "$pkgs" >>"$log" 2>&1; then
  tail -5 "$log" >&2
  echo "need-cyrus310: apt-get install $pkgs in the trixie root failed: is Debian's archive reachable? (full log: $log)" >&2
  exit 1
fi
version=$(chroot "$new" /usr/lib/cyrus/bin/cyr_info version)
{ echo "uid=$uid"; echo "$version"; } >"$new/.cyrepl-ready"
rm -rf "$root"
mv "$new" "$root"
ready || { echo "need-cyrus310: $root still incomplete after the build (log: $log)" >&2; exit 1; }
echo "need-cyrus310: $version ready in $root" >&2
