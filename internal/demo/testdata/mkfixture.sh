#!/bin/bash
# Regenerates testdata/master, the master spool `make demo` replicates,
# with real Cyrus 3.6 (Debian's packages). Run as root:
#
#   internal/demo/testdata/mkfixture.sh
#
# It starts a throw-away Cyrus (imapd and timsieved) under /tmp and fills
# it over IMAP and ManageSieve:
#
#   alice  INBOX (4 messages: \Seen, \Flagged, $Label1, \Answered),
#          Work, Work/Projects, Work/Projects/2026 (nested), Sent;
#          a quota root (STORAGE 10000, MESSAGE 100); subscriptions;
#          a mailbox annotation and a message annotation; an active sieve
#          script "demo"
#   bob    INBOX (2 messages), Archive; seen state on alice's shared Work
#   Announcements  a shared folder (1 message), readable by anyone
#
# then stops it and copies imapd.conf (its directory written as @DIR@),
# mailboxes.db, annotations.db, the quota files, the per-user databases,
# the sieve directory and the mailbox directories.
set -euo pipefail
BIN=${CYRUS_BIN:-/usr/lib/cyrus/bin}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/master
[ "$(id -u)" = 0 ] || { echo "run as root (Cyrus switches to the cyrus user)" >&2; exit 1; }
W=$(mktemp -d /tmp/cyrepl-demo-fixture-XXXXXX)
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
PORT=$(port)
SIEVEPORT=$(port)
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
  imap cmd="imapd -C $W/imapd.conf" listen="127.0.0.1:$PORT" prefork=0 maxchild=5
  sieve cmd="timsieved -C $W/imapd.conf" listen="127.0.0.1:$SIEVEPORT" prefork=0 maxchild=5
}
EVENTS {
}
DAEMON {
}
CONF
for u in admin:adminpass alice:pass bob:pass; do
	echo -n "${u#*:}" | saslpasswd2 -p -c -f "$W/conf/sasldb2" -u master.cyrepl.test "${u%%:*}"
done
chown -R cyrus:mail "$W"
"$BIN/master" -C "$W/imapd.conf" -M "$W/cyrus.conf" -p "$W/master.pid" -d -L "$W/master.log"
python3 - "$PORT" "$SIEVEPORT" <<'PY'
import base64, imaplib, socket, sys, time
imaplib.Commands["SETMETADATA"] = ("AUTH", "SELECTED")
port, sieveport = int(sys.argv[1]), int(sys.argv[2])
for p in (port, sieveport):
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", p), 1).close()
            break
        except OSError:
            time.sleep(0.1)

def msg(i, subject, to="alice"):
    return ("From: Demo Sender <sender@example.org>\r\nTo: %s@example.org\r\nSubject: %s\r\n"
            "Message-ID: <demo.%d@cyrepl.test>\r\nDate: Tue, 01 Dec 2026 09:%02d:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nDemo message %d: %s\r\n" % (to, subject, i, i, i, subject)).encode()

def ok(res):
    typ, data = res
    if typ != "OK":
        sys.exit("imap: %s %s" % (typ, data))
    return data

a = imaplib.IMAP4("127.0.0.1", port)
ok(a.login("admin", "adminpass"))
for m in ("user/alice", "user/alice/Work", "user/alice/Work/Projects", "user/alice/Work/Projects/2026",
          "user/alice/Sent", "user/bob", "user/bob/Archive", "Announcements"):
    ok(a.create(m))
ok(a.setquota("user/alice", "(STORAGE 10000 MESSAGE 100)"))
ok(a.setacl("Announcements", "admin", "lrswipkxtecdan"))
ok(a.setacl("Announcements", "anyone", "lrs"))
ok(a.setacl("user/alice/Work", "bob", "lrs"))
ok(a.append("Announcements", None, None, msg(20, "Maintenance on Sunday", "all")))
a.logout()

c = imaplib.IMAP4("127.0.0.1", port)
ok(c.login("alice", "pass"))
for i, s in enumerate(("Welcome", "Quarterly report", "Lunch?", "Re: Project plan"), 1):
    ok(c.append("INBOX", None, None, msg(i, s)))
ok(c.append("Work/Projects/2026", None, None, msg(5, "Kick-off notes")))
ok(c.append("Work", None, None, msg(6, "Shared with bob")))
ok(c.append("Sent", "(\\Seen)", None, msg(7, "Re: Lunch?")))
ok(c.select("INBOX"))
ok(c.uid("STORE", "1", "+FLAGS", "(\\Seen)"))
ok(c.uid("STORE", "2", "+FLAGS", "(\\Flagged $Label1)"))
ok(c.uid("STORE", "4", "+FLAGS", "(\\Seen \\Answered)"))
ok(c._simple_command("UID", "STORE", "2", "ANNOTATION", '(/comment (value.shared "read before Friday"))'))
ok(c._simple_command("SETMETADATA", "INBOX", '(/shared/comment "alice\'s inbox")'))
for m in ("INBOX", "Work", "Work/Projects", "Sent"):
    ok(c.subscribe(m))
c.logout()

b = imaplib.IMAP4("127.0.0.1", port)
ok(b.login("bob", "pass"))
ok(b.append("INBOX", None, None, msg(8, "Hello bob", "bob")))
ok(b.append("INBOX", None, None, msg(9, "Invoice", "bob")))
ok(b.select('"Other Users/alice/Work"'))
ok(b.uid("STORE", "1", "+FLAGS", "(\\Seen)"))
ok(b.subscribe('"Other Users/alice/Work"'))
ok(b.subscribe('"Shared Folders/Announcements"'))
b.logout()

# ManageSieve: alice's script, active
s = socket.create_connection(("127.0.0.1", sieveport), 10)
f = s.makefile("rwb")
def readok():
    while True:
        line = f.readline()
        if not line:
            sys.exit("sieve: connection closed")
        if line.startswith(b"OK"):
            return
        if line.startswith(b"NO") or line.startswith(b"BYE"):
            sys.exit("sieve: %r" % line)
def cmd(line):
    f.write(line)
    f.flush()
    readok()
readok()
cmd(b'AUTHENTICATE "PLAIN" "' + base64.b64encode(b"\0alice\0pass") + b'"\r\n')
script = (b'require ["fileinto"];\r\nif header :contains "subject" "report" {\r\n'
          b'  fileinto "Work";\r\n}\r\n')
cmd(b'PUTSCRIPT "demo" {%d+}\r\n' % len(script) + script + b"\r\n")
cmd(b'SETACTIVE "demo"\r\n')
cmd(b"LOGOUT\r\n")
PY
pid=$(cat "$W/master.pid")
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
rm -f "$W/master.pid"
rm -rf "$OUT"
mkdir -p "$OUT/conf"
sed "s|$W|@DIR@|g" "$W/imapd.conf" >"$OUT/imapd.conf"
cp "$W/conf/mailboxes.db" "$W/conf/annotations.db" "$OUT/conf/"
for d in quota user; do
	[ -d "$W/conf/$d" ] && cp -r "$W/conf/$d" "$OUT/conf/$d"
done
cp -a "$W/sieve" "$OUT/sieve"
cp -r "$W/spool" "$OUT/spool"
chown -R --reference="$HERE" "$OUT"
find "$OUT" -type d -exec chmod 755 {} +
find "$OUT" -type f -exec chmod 644 {} +
find "$OUT" | sort | sed "s|$HERE/||"
