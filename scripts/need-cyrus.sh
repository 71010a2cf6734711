#!/bin/sh
# Makes sure real Cyrus 3.6 (Debian's packages) is here for the integration
# tests: installs it when running as root, fails saying how otherwise.
# It never lets the tests skip silently.
set -eu
bin="${1:-/usr/lib/cyrus/bin}"
pkgs="cyrus-imapd cyrus-replication cyrus-clients cyrus-admin sasl2-bin"
have() {
  [ -x "$bin/master" ] && [ -x "$bin/sync_client" ] && [ -x "$bin/cyr_synclog" ] &&
    [ -x "$bin/cyr_info" ] && command -v saslpasswd2 >/dev/null 2>&1
}
if have; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "make test needs real Cyrus IMAP 3.6 and root: the integration tests run Cyrus beside ours." >&2
  echo "Install it as root with:  apt-get update && apt-get install -y $pkgs" >&2
  echo "then run make test as root." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get here: install Cyrus IMAP 3.6 ($pkgs on Debian) and set CYRUS_BIN" >&2
  exit 1
fi
echo "installing Cyrus from Debian's packages: $pkgs"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $pkgs
have || { echo "Cyrus still missing after apt-get install ($bin)" >&2; exit 1; }
