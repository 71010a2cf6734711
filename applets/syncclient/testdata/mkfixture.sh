#!/bin/bash
# Regenerates testdata/master, the master spool of the full-update unit
# tests (fullupdate_test.go), with real Cyrus 3.6 (Debian's packages). Run
# as root:
#
#   applets/syncclient/testdata/mkfixture.sh
#
# It starts a throw-away Cyrus (imapd only) under /tmp, creates user cb
# with a quota root (STORAGE 100000, MESSAGE 1000) and four mailboxes
# holding the master's side of integration/syncclient_copyback_test.go's
# cases, appended over IMAP in the same order and with the same bytes
# (fixedMessage there, msg here), so GUIDs and modseqs are the ones that
# test's Cyrus runs saw:
#
#   INBOX        1 "first", 2 "second"
#   SplitBrain   1, 2, 3 "on the master"
#   Reversed     1, 2, 4 "on the replica"
#   MasterOnly   1, 2, 9 "master"
#
# then stops it and copies imapd.conf (its directory written as @DIR@),
# mailboxes.db, annotations.db, the quota file and the mailbox
# directories. Uniqueids and times change from run to run; the tests read
# them from the files.
set -euo pipefail
BIN=${CYRUS_BIN:-/usr/lib/cyrus/bin}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/master
[ "$(id -u)" = 0 ] || { echo "run as root (Cyrus switches to the cyrus user)" >&2; exit 1; }
W=$(mktemp -d /tmp/cyrepl-fixture-XXXXXX)
chmod 755 "$W"
cleanup() {
	if [ -s "$W/master.pid" ]; then
		local pid
		pid=$(cat "$W/master.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$W"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$W"/conf/{db,lock,proc,socket,log} "$W"/spool
cat >"$W/imapd.conf" <<CONF
configdirectory: $W/conf
defaultpartition: default
partition-default: $W/spool
servername: master.cyrepl.test
cyrus_user: cyrus
cyrus_group: mail
admins: admin
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $W/conf/sasldb2
sasl_mech_list: PLAIN LOGIN
altnamespace: yes
unixhierarchysep: yes
virtdomains: off
hashimapspool: false
delete_mode: delayed
expunge_mode: delayed
tls_required: no
CONF
cat >"$W/cyrus.conf" <<CONF
START {
  recover cmd="ctl_cyrusdb -C $W/imapd.conf -r"
}
SERVICES {
  imap cmd="imapd -C $W/imapd.conf" listen="127.0.0.1:$PORT" prefork=0 maxchild=5
}
EVENTS {
}
DAEMON {
}
CONF
for u in admin:adminpass cb:pass; do
	echo -n "${u#*:}" | saslpasswd2 -p -c -f "$W/conf/sasldb2" -u master.cyrepl.test "${u%%:*}"
done
chown -R cyrus:mail "$W"
"$BIN/master" -C "$W/imapd.conf" -M "$W/cyrus.conf" -p "$W/master.pid" -d -L "$W/master.log"
python3 - "$PORT" <<'PY'
import imaplib, socket, sys, time
port = int(sys.argv[1])
for _ in range(300):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        break
    except OSError:
        time.sleep(0.1)

def msg(i, note):
    # integration/syncclient_copyback_test.go fixedMessage
    return ("From: Sender <sender@example.org>\r\nTo: cb@example.org\r\nSubject: copy back %d %s\r\n"
            "Message-ID: <cb.%d@cyrepl.test>\r\nDate: Mon, 23 Nov 2026 12:00:0%d +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nbody %d: %s\r\n" % (i, note, i, i % 10, i, note)).encode()

def ok(res):
    typ, data = res
    if typ != "OK":
        sys.exit("imap: %s %s" % (typ, data))

a = imaplib.IMAP4("127.0.0.1", port)
ok(a.login("admin", "adminpass"))
ok(a.create("user/cb"))
for f in ("SplitBrain", "Reversed", "MasterOnly"):
    ok(a.create("user/cb/" + f))
ok(a.setquota("user/cb", "(STORAGE 100000 MESSAGE 1000)"))
a.logout()
c = imaplib.IMAP4("127.0.0.1", port)
ok(c.login("cb", "pass"))
for box, extra in (("INBOX", None), ("SplitBrain", (3, "on the master")),
                   ("Reversed", (4, "on the replica")), ("MasterOnly", (9, "master"))):
    ok(c.append(box, None, None, msg(1, "first")))
    ok(c.append(box, None, None, msg(2, "second")))
    if extra:
        ok(c.append(box, None, None, msg(*extra)))
c.logout()
PY
pid=$(cat "$W/master.pid")
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
rm -f "$W/master.pid"
rm -rf "$OUT"
mkdir -p "$OUT/conf/quota"
sed "s|$W|@DIR@|g" "$W/imapd.conf" >"$OUT/imapd.conf"
cp "$W/conf/mailboxes.db" "$W/conf/annotations.db" "$OUT/conf/"
cp -r "$W/conf/quota/." "$OUT/conf/quota/"
cp -r "$W/spool" "$OUT/spool"
chown -R --reference="$HERE" "$OUT"
find "$OUT" -type d -exec chmod 755 {} +
find "$OUT" -type f -exec chmod 644 {} +
find "$OUT" -type f | sort | sed "s|$HERE/||"
