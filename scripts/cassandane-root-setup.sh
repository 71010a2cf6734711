#!/bin/sh
# Prepares Cassandane inside a Debian root that holds the Cyrus it tests
# (the trixie root of scripts/need-cyrus310.sh): what the suite's setup.sh
# does on the host for 3.6.1, for a Cassandane that setup.sh does not fit
# (3.10.2's Instance::getsyslog already clears the sticky EOF, so the
# setup.sh patch for it finds nothing to change and stops). Run by
# scripts/cassandane.sh inside the root (chroot, /proc and /dev mounted):
#
#   cassandane-root-setup.sh TARBALL BASE ROOTDIR PORT
#
# TARBALL  Cassandane's source as released with the installed Cyrus
# BASE     where source, stubs, the stock prefix and cassandane.ini go
#          (run.sh's CASS_BASE)
# ROOTDIR  Cassandane's instance directory; PORT its first port
# Idempotent: apt-get runs only for missing packages, the source is
# extracted once per tarball.
set -eu
tarball=${1:?usage: cassandane-root-setup.sh TARBALL BASE ROOTDIR PORT}
base=${2:?BASE}
rootdir=${3:?ROOTDIR}
port=${4:?PORT}
bindir=/usr/lib/cyrus/bin
src=$base/src
log() { printf '[setup] %s\n' "$*"; }

# Cassandane's Perl dependencies as Debian packages: setup.sh's list for
# 3.6.1, plus what 3.10.2's modules use at load time (doc/README.deps and
# their "use" lines): Plack, Test::TCP, LWP::UserAgent, Data::GUID,
# Data::ICal, XML::Simple, Date::Format; and netstat, with which it waits
# for services to listen.
pkgs="libcyrus-imap-perl sudo make gcc libc6-dev
 liburi-perl libdigest-sha-perl libdatetime-perl libbsd-resource-perl
 libtest-unit-perl libxml-generator-perl libxml-xpath-perl libclone-perl
 libencode-imaputf7-perl libconfig-inifiles-perl libio-socket-inet6-perl
 libio-socket-ssl-perl libnet-server-perl libunix-syslog-perl
 libnews-nntpclient-perl libfile-chdir-perl libio-stringy-perl
 libanyevent-perl libjson-perl libjson-xs-perl libfile-libmagic-perl
 libtest-xml-perl libdatetime-format-iso8601-perl libdata-uuid-perl
 libmime-types-perl libtext-levenshteinxs-perl libdatetime-format-ical-perl
 libuniversal-require-perl libtest-nowarnings-perl libtest-longstring-perl
 libtest-warn-perl libnet-ldap-server-perl libdbd-sqlite3-perl
 libmail-imaptalk-perl libmath-int64-perl libstring-crc32-perl
 libfile-slurp-perl libxml-dom-perl libhttp-daemon-perl libdbi-perl
 libplack-perl libtest-tcp-perl libwww-perl libdata-guid-perl
 libdata-ical-perl libxml-simple-perl libtimedate-perl net-tools"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  log "installing:$missing"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
else
  log "all Debian packages present"
fi

# The source, once per tarball.
mkdir -p "$src"
sum=$(sha256sum "$tarball" | cut -d' ' -f1)
if [ "$(cat "$src/.extracted" 2>/dev/null)" != "$sum" ]; then
  rm -rf "$src/cassandane" "$src/perl" "$src/.extracted"
  log "extracting $tarball"
  tar -xz -C "$src" -f "$tarball"
  echo "$sum" >"$src/.extracted"
fi

# Debian builds Cyrus with -D_FORTIFY_SOURCE, so it calls __syslog_chk();
# Cassandane's LD_PRELOAD shim (utils/syslog.c, 3.6.1 and 3.10.2) wraps only
# syslog()/vsyslog(), and every test that greps an instance's syslog would
# fail with stock Cyrus. The shim also wraps the fortified entry points.
if ! grep -q __syslog_chk "$src/cassandane/utils/syslog.c"; then
  log "patching utils/syslog.c to also wrap __syslog_chk/__vsyslog_chk"
  cat >>"$src/cassandane/utils/syslog.c" <<'EOF'

/* added by cyrus-replication's cassandane-root-setup.sh: glibc's fortified
 * entry points (-D_FORTIFY_SOURCE) */
EXPORTED void __vsyslog_chk(int priority, int flag __attribute__((unused)),
                            const char *format, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    fake_vsyslog(priority, format, ap2);
    va_end(ap2);
    real_vsyslog(priority, format, ap);
}

EXPORTED void __syslog_chk(int priority, int flag, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    __vsyslog_chk(priority, flag, format, ap);
    va_end(ap);
}
EOF
fi
# 3.10.2's Instance::setup_syslog_replacement gives up on the shim when
# cyr_buildinfo reports a FORTIFY_LEVEL (trixie's does), and no test would
# look at syslog. With the wrap above the shim works; the syslog_probe run
# just after that check still proves it, or turns it off.
i=$src/cassandane/Cassandane/Instance.pm
if grep -q "^    if (\$self->{buildinfo}->get('version', 'FORTIFY_LEVEL')) {" "$i"; then
  log "patching Instance::setup_syslog_replacement to keep the shim under _FORTIFY_SOURCE"
  sed -i "s|^    if (\$self->{buildinfo}->get('version', 'FORTIFY_LEVEL')) {|    if (0) { # cyrus-replication: utils/syslog.c wraps __syslog_chk too|" "$i"
  grep -q 'wraps __syslog_chk too' "$i" || { echo "cassandane-root-setup: the FORTIFY_LEVEL patch failed" >&2; exit 1; }
fi
# Instance::getsyslog must clear the EOF newer Perls keep on its handle, or
# lines logged after the first read are never seen: 3.10.2 does it itself.
if ! grep -q clearerr "$src/cassandane/Cassandane/Instance.pm"; then
  echo "cassandane-root-setup: this Cassandane's Instance::getsyslog does not clear EOF (3.6.1's setup.sh fix is needed)" >&2
  exit 1
fi
make -s -C "$src/cassandane/utils" >/dev/null
# testrunner.pl drops to the cyrus user and writes in its tree
chown -R cyrus:mail "$src"

# Modules Debian does not package: stubs, so that the test modules that
# merely "use" them load (the Replication suite does not call them).
stubs=$base/perl-stubs
for m in Mail::JMAPTalk Net::DAVTalk Net::DAVTalk::XMLParser Net::CalDAVTalk Net::CardDAVTalk \
  Net::CardDAVTalk::VCard XML::Spice Text::VCardFast Convert::Base64; do
  f=$stubs/$(echo "$m" | sed 's|::|/|g').pm
  if [ -f "$f" ] || ! perl -M"$m" -e1 2>/dev/null; then
    mkdir -p "$(dirname "$f")"
    printf 'package %s;\n# stub: not packaged in Debian\nsub new { die "%s not installed (stub)\\n" }\nsub import {}\n1;\n' "$m" "$m" >"$f"
  fi
done

# A prefix of links to the installed programs looks like a Cyrus install
# (run.sh makes the ones with our binary beside it).
p=$base/prefix/stock
rm -rf "$p.tmp"
mkdir -p "$p.tmp/libexec" "$p.tmp/sbin" "$p.tmp/bin" "$p.tmp/lib"
for b in "$bindir"/*; do ln -s "$b" "$p.tmp/libexec/${b##*/}"; done
ln -s "$bindir/cyr_buildinfo" "$p.tmp/sbin/cyr_buildinfo"
rm -rf "$p"
mv "$p.tmp" "$p"
# run.sh runs as cyrus: it makes the prefixes with our binary and its logs
mkdir -p "$base/logs"
chown cyrus:mail "$base/prefix" "$base/logs"

mkdir -p "$rootdir"
chown cyrus:mail "$rootdir"
cat >"$base/cassandane.ini" <<EOF
# generated by cyrus-replication's cassandane-root-setup.sh
[cassandane]
rootdir = $rootdir
pwcheck = alwaystrue
cleanup = no
maxworkers = 1
base_port = $port

[valgrind]
enabled = no

[cyrus default]
prefix = $p
destdir =

[config]
sasl_mech_list = PLAIN LOGIN
EOF
log "done: $base/cassandane.ini, prefix $p"
