#!/bin/bash
# Regenerates testdata/sieve/spool, the spool of the #sieve unit tests
# (sieve_test.go), with real Cyrus 3.6 (Debian's packages). Run as root:
#
#   spool/testdata/sieve/mkfixture.sh
#
# It starts a throw-away Cyrus (imapd and timsieved) under /tmp, creates
# user sv (INBOX), then over ManageSieve stores script "keepit" (the
# login creates #sieve and dav.db), activates it, replaces it once and
# stores "other" (inactive), so #sieve holds an expunged version and two
# live ones. It stops Cyrus and copies imapd.conf (its directory written
# as @DIR@), mailboxes.db and the mailbox directories into spool/; the
# dav.db Cyrus wrote goes to cyrus-dav.db (the tests compare ours with it)
# and the sieve directory's listing to cyrus-sievedir.txt. The live
# dav.db and sieve directory are left out: the tests make them.
set -euo pipefail
BIN=${CYRUS_BIN:-/usr/lib/cyrus/bin}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/spool
[ "$(id -u)" = 0 ] || { echo "run as root (Cyrus switches to the cyrus user)" >&2; exit 1; }
W=$(mktemp -d /tmp/cyrepl-sievefix-XXXXXX)
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
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
IPORT=$(port)
SPORT=$(port)
mkdir -p "$W"/conf/{db,lock,proc,socket,log} "$W"/spool "$W"/sieve
cat >"$W/imapd.conf" <<CONF
configdirectory: $W/conf
defaultpartition: default
partition-default: $W/spool
sievedir: $W/sieve
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
  imap  cmd="imapd -C $W/imapd.conf" listen="127.0.0.1:$IPORT" prefork=0 maxchild=5
  sieve cmd="timsieved -C $W/imapd.conf" listen="127.0.0.1:$SPORT" prefork=0 maxchild=5
}
EVENTS {
}
DAEMON {
}
CONF
for u in admin:adminpass sv:pass; do
	echo -n "${u#*:}" | saslpasswd2 -p -c -f "$W/conf/sasldb2" -u master.cyrepl.test "${u%%:*}"
done
chown -R cyrus:mail "$W"
"$BIN/master" -C "$W/imapd.conf" -M "$W/cyrus.conf" -p "$W/master.pid" -d -L "$W/master.log"
python3 - "$IPORT" "$SPORT" <<'PY'
import base64, imaplib, socket, sys, time
iport, sport = int(sys.argv[1]), int(sys.argv[2])
for p in (iport, sport):
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", p), 1).close()
            break
        except OSError:
            time.sleep(0.1)
a = imaplib.IMAP4("127.0.0.1", iport)
typ, data = a.login("admin", "adminpass")
typ, data = a.create("user/sv")
if typ != "OK":
    sys.exit("create: %s" % data)
a.logout()

s = socket.create_connection(("127.0.0.1", sport))
f = s.makefile("rb")
def resp():
    while True:
        l = f.readline()
        if not l:
            sys.exit("sieve: connection closed")
        if l.startswith(b"OK"):
            return
        if l.startswith(b"NO") or l.startswith(b"BYE"):
            sys.exit("sieve: %r" % l)
def cmd(c):
    s.sendall(c)
    resp()
resp()
cmd(b'AUTHENTICATE "PLAIN" "%s"\r\n' % base64.b64encode(b"\0sv\0pass"))
def put(name, text):
    t = text.encode()
    cmd(b'PUTSCRIPT "%s" {%d+}\r\n%s\r\n' % (name.encode(), len(t), t))
put("keepit", "keep;\r\n")
cmd(b'SETACTIVE "keepit"\r\n')
time.sleep(1.1)  # a later internaldate for the new version
put("keepit", 'require "fileinto";\r\nfileinto "Trash";\r\n')
put("other", "discard;\r\n")
cmd(b"LOGOUT\r\n")
PY
pid=$(cat "$W/master.pid")
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
rm -f "$W/master.pid"
rm -rf "$OUT"
mkdir -p "$OUT/conf"
sed "s|$W|@DIR@|g" "$W/imapd.conf" >"$OUT/imapd.conf"
cp "$W/conf/mailboxes.db" "$OUT/conf/"
cp -r "$W/spool" "$OUT/spool"
cp "$(find "$W/conf/user" -name dav.db)" "$HERE/cyrus-dav.db"
(cd "$(find "$W/sieve" -mindepth 4 -maxdepth 4 -type d)" && for f in *; do
	if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f"; fi
done) >"$HERE/cyrus-sievedir.txt"
chown -R --reference="$HERE" "$OUT" "$HERE/cyrus-dav.db" "$HERE/cyrus-sievedir.txt"
find "$OUT" -type d -exec chmod 755 {} +
find "$OUT" -type f -exec chmod 644 {} +
chmod 644 "$HERE/cyrus-dav.db"
find "$OUT" -type f | sort | sed "s|$HERE/||"
cat "$HERE/cyrus-sievedir.txt"
