#!/bin/bash
# Regenerates the real-Cyrus fixtures and golden outputs of spool/twoskip,
# spool/index, spool/header and spool/guid with a cyrus-pair (Cyrus 3.6.1).
# Run as root:
#
#   CYRUS_PAIR_PORT_BASE=31000 /work/shared/cyrus-pair/cyrus-pair start /tmp/h2pair
#   spool/index/testdata/mkfixtures.sh all /tmp/h2pair
#   /work/shared/cyrus-pair/cyrus-pair stop /tmp/h2pair
#
# Stages (all = populate collect grow collect-big): populate fills a fresh
# pair (deliveries, flags incl. 41 user flags, COPY/EXPUNGE, sieve, a
# non-owner's seen state, folders created, renamed and deleted, and
# cyr_expire -D 0 for real twoskip DELETE records); collect copies files
# and records the tools' output; grow adds 150 folders so that
# mailboxes.db is checkpointed (repacked) and collect-big records that
# DB. Values (uniqueids, times) differ from run to run; the tests parse
# the golden files instead of hard-coding values.
set -euo pipefail
STAGE=${1:?stage}
PAIR=${2:?pair dir}
P=/work/shared/cyrus-pair/cyrus-pair
HERE=$(cd "$(dirname "$0")" && pwd)
SPOOL=$(cd "$HERE/../.." && pwd)
M=$PAIR/master
tool() { "$P" tool "$PAIR" master "$@"; }
# shellcheck disable=SC1090
eval "$("$P" env "$PAIR")"
imap() { python3 - "$MASTER_IMAP_PORT" "$@"; }

uid_of() { # external mailbox name -> uniqueid (from mbexamine)
	tool mbexamine "$1" | sed -n 's/^  Unique ID: //p'
}
dir_of() { local u; u=$(uid_of "$1"); echo "$M/spool/uuid/${u:0:1}/${u:1:1}/$u"; }

# cyr_dbtool runs as the cyrus user: give it copies it can read
dbtool() { # dbtool FILE ACTION [ARGS] (output on stdout)
	local w=$PAIR/fixtures
	mkdir -p "$w" && cp "$1" "$w/" && chown -R cyrus:mail "$w"
	tool cyr_dbtool "$w/$(basename "$1")" twoskip "${@:2}"
	rm -rf "$w"
}

populate() {
	"$P" deliver "$PAIR" cassandane 5
	"$P" populate "$PAIR" cassandane Archive
	"$P" sieve "$PAIR" cassandane
	imap <<'PY'
import imaplib, sys
port = int(sys.argv[1])
c = imaplib.IMAP4('127.0.0.1', port); c.login('cassandane', 'pass')
c.setacl('INBOX', 'user1', 'lrsw'); c.select('INBOX')
c.uid('STORE', '5', '+FLAGS', '(' + ' '.join('kw%02d' % i for i in range(40)) + ')')
c.uid('STORE', '3', '+FLAGS', '(kw33 \\Draft)')
for i in range(12):
    c.create('F%02d' % i)
c.rename('F03', 'F03renamed'); c.delete('F05'); c.create('F05'); c.delete('F07')
c.create('"Caf&AOk-"'); c.create('"with space"'); c.logout()
u = imaplib.IMAP4('127.0.0.1', port); u.login('user1', 'pass')
u.select('"Other Users/cassandane"')
u.uid('STORE', '1:2', '+FLAGS', '(\\Seen)'); u.uid('STORE', '5', '+FLAGS', '(\\Seen)')
u.logout()
PY
	"$P" deliver "$PAIR" user1 2
	tool cyr_expire -D 0
}

collect() {
	local T=$SPOOL/twoskip/testdata I=$SPOOL/index/testdata H=$SPOOL/header/testdata G=$SPOOL/guid/testdata
	mkdir -p "$T" "$I" "$H" "$G"
	cp "$M/conf/mailboxes.db" "$T/mailboxes.db"
	cp "$M/conf/annotations.db" "$T/empty.db"
	cp "$(find "$M/conf/user" -name seen.db | head -1)" "$T/seen.db"
	for db in mailboxes empty seen; do
		dbtool "$T/$db.db" show >"$T/$db.show.golden"
	done
	dbtool "$T/mailboxes.db" dump >"$T/mailboxes.dump.golden"
	dbtool "$T/mailboxes.db" show "Nuser"$'\x1f'"cassandane"$'\x1f'"F0" >"$T/mailboxes.show-prefix.golden"
	tool ctl_mboxlist -d >"$T/mailboxes.ctl_mboxlist.golden"
	for mb in user/cassandane user/cassandane/Archive user/user1 user/cassandane/F00 "user/cassandane/with space"; do
		local n d
		n=$(echo "$mb" | tr '/ ' '._')
		d=$(dir_of "$mb")
		cp "$d/cyrus.index" "$I/$n.index"
		if [ -e "$d/cyrus.cache" ]; then cp "$d/cyrus.cache" "$I/$n.cache"; fi
		cp "$d/cyrus.header" "$H/$n.header"
		cp "$d/cyrus.header" "$I/$n.header"
		tool mbexamine "$mb" >"$I/$n.mbexamine.golden"
		cp "$I/$n.mbexamine.golden" "$H/$n.mbexamine.golden"
	done
	local d
	d=$(dir_of user/cassandane)
	for u in 1 2; do cp "$d/$u." "$G/$u."; done
	tool mbexamine user/cassandane >"$G/user.cassandane.mbexamine.golden"
	find "$T" "$H" "$G" -maxdepth 1 -type f -exec chmod 644 {} +
	chmod 644 "$I"/*.index "$I"/*.header "$I"/*.cache "$I"/*.golden
}

grow() {
	imap <<'PY'
import imaplib, sys
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1])); c.login('user1', 'pass')
for i in range(150):
    c.create('G%03d' % i)
c.logout()
PY
}

collect_big() {
	local T=$SPOOL/twoskip/testdata
	cp "$M/conf/mailboxes.db" "$T/mailboxes-big.db"
	dbtool "$T/mailboxes-big.db" show >"$T/mailboxes-big.show.golden"
	dbtool "$T/mailboxes-big.db" dump >"$T/mailboxes-big.dump.golden"
	chmod 644 "$T"/mailboxes-big.*
}

case $STAGE in
populate) populate ;;
collect) collect ;;
grow) grow ;;
collect-big) collect_big ;;
all) populate && collect && grow && collect_big ;;
*) echo "unknown stage $STAGE" >&2; exit 2 ;;
esac
