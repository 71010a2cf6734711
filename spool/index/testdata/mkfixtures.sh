#!/bin/bash
# Regenerates the real-Cyrus fixtures and golden outputs of spool/twoskip,
# spool/index, spool/header and spool/guid from a running cyrus-pair master.
#
# usage: mkfixtures.sh PAIRDIR   (e.g. /tmp/h2pair, started with
#        CYRUS_PAIR_PORT_BASE=31000 cyrus-pair start /tmp/h2pair, then
#        deliver/populate/sieve and the IMAP steps described in README.md)
set -euo pipefail
PAIR=${1:?pair dir}
P=/work/shared/cyrus-pair/cyrus-pair
HERE=$(cd "$(dirname "$0")" && pwd)
SPOOL=$(cd "$HERE/../.." && pwd)
M=$PAIR/master
tool() { "$P" tool "$PAIR" master "$@"; }

uid_of() { # external mailbox name -> uniqueid (from mbexamine)
	tool mbexamine "$1" | sed -n 's/^  Unique ID: //p'
}
dir_of() { local u; u=$(uid_of "$1"); echo "$M/spool/uuid/${u:0:1}/${u:1:1}/$u"; }

# --- twoskip ---------------------------------------------------------------
T=$SPOOL/twoskip/testdata
mkdir -p "$T"
cp "$M/conf/mailboxes.db" "$T/mailboxes.db"
cp "$M/conf/annotations.db" "$T/empty.db"
seen=$(find "$M/conf/user" -name seen.db | head -1)
cp "$seen" "$T/seen.db"
# cyr_dbtool runs as the cyrus user: give it copies it can read
W=$PAIR/fixtures
rm -rf "$W" && mkdir -p "$W" && cp "$T"/*.db "$W" && chown -R cyrus:mail "$W"
for db in mailboxes empty seen; do
	tool cyr_dbtool "$W/$db.db" twoskip show >"$T/$db.show.golden"
done
tool cyr_dbtool "$W/mailboxes.db" twoskip dump >"$T/mailboxes.dump.golden"
tool cyr_dbtool "$W/mailboxes.db" twoskip show "Nuser"$'\x1f'"cassandane"$'\x1f'"F0" >"$T/mailboxes.show-prefix.golden"
rm -rf "$W"
tool ctl_mboxlist -d >"$T/mailboxes.ctl_mboxlist.golden"

# --- index / header / guid -------------------------------------------------
I=$SPOOL/index/testdata
H=$SPOOL/header/testdata
G=$SPOOL/guid/testdata
mkdir -p "$I" "$H" "$G"
for mb in user/cassandane user/cassandane/Archive user/user1 user/cassandane/F00 "user/cassandane/with space"; do
	n=$(echo "$mb" | tr '/ ' '._')
	d=$(dir_of "$mb")
	cp "$d/cyrus.index" "$I/$n.index"
	if [ -e "$d/cyrus.cache" ]; then cp "$d/cyrus.cache" "$I/$n.cache"; fi
	cp "$d/cyrus.header" "$H/$n.header"
	cp "$d/cyrus.header" "$I/$n.header"
	tool mbexamine "$mb" >"$I/$n.mbexamine.golden"
	cp "$I/$n.mbexamine.golden" "$H/$n.mbexamine.golden"
done
d=$(dir_of user/cassandane)
for u in 1 2 4; do cp "$d/$u." "$G/$u."; done
tool mbexamine user/cassandane >"$G/user.cassandane.mbexamine.golden"
