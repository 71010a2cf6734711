#!/usr/bin/env python3
"""Copy our binary's syslog lines into Cassandane's instance logs.

Cassandane catches Cyrus's syslog with an LD_PRELOAD shim that appends to
<rootdir>/<instance>/conf/log/syslog; our static binary does not load it
and logs to /dev/log. The suite's own devlog-catcher.py routes lines by
program name (sync_client, sync_server), but a sync_server run by Cyrus's
master logs under its service name, as Cyrus's does ("<instance>/sync"),
a name Cyrus's imapd shares when it is the replica's sync service. So this
catcher routes by sender instead: a datagram is copied when the process
that sent it (SO_PASSCRED) runs BINARY, whatever its ident; when that
process is already gone, when its ident is sync_client or sync_server
(only ours runs under those names in a run with our binary).

usage: cassandane-devlog.py ROOTDIR BINARY SOCKET
It binds SOCKET (replacing a stale socket there, refusing anything else),
which scripts/cassandane-privdev.sh makes the run's /dev/log, removes it
on SIGTERM and says how many lines it copied.
"""
import os
import re
import signal
import socket
import stat
import struct
import sys
import time

rootdir, binary, path = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
if os.path.lexists(path):
    if not stat.S_ISSOCK(os.lstat(path).st_mode):
        sys.exit(f"cassandane-devlog: {path} exists and is not a socket; not touching it")
    os.unlink(path)

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
copied = 0
dropped = {}  # why -> [count, first datagram]


def drop(why, data):
    d = dropped.setdefault(why, [0, data[:160]])
    d[0] += 1


def bye(*_):
    print(f"[cassandane] syslog: {copied} lines of {binary} copied into the instances' logs",
          file=sys.stderr, flush=True)
    for why, (n, first) in dropped.items():
        print(f"[cassandane] syslog: {n} dropped ({why}), the first: {first!r}", file=sys.stderr, flush=True)
    try:
        os.unlink(path)
    except OSError:
        pass
    sys.exit(0)


signal.signal(signal.SIGTERM, bye)
signal.signal(signal.SIGINT, bye)

host = socket.gethostname()
rx = re.compile(
    rb"^<(\d+)>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d )?"
    rb"([^\s\[:]+)(?:\[(\d+)\])?: ?(.*?)\n?$", re.S)
ucred = struct.Struct("iII")  # pid, uid, gid
ours = {}  # pid -> whether it ran our binary when last looked at


def sender_is_ours(pid, prog):
    # Looked at for every line: Cassandane's forked child logs (xlog)
    # under the pid it keeps when it execs our binary.
    try:
        # " (deleted)": the binary was rebuilt while the process runs
        exe = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        # gone already: what it ran last, else go by the ident
        return ours.get(pid, prog in ("sync_client", "sync_server"))
    ours[pid] = exe == binary
    return ours[pid]


while True:
    data, anc, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(ucred.size))
    pid = 0
    for level, kind, value in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = ucred.unpack(value[:ucred.size])[0]
    m = rx.match(data)
    if not m:
        drop("not a syslog line", data)
        continue
    tag = m.group(2).decode("utf-8", "replace")
    inst, slash, prog = tag.partition("/")
    if not slash or not re.fullmatch(r"[0-9A-Za-z]+", inst):
        drop("no instance in the ident", data)
        continue
    if not sender_is_ours(pid, prog):
        drop(f"sender not {binary}", data)
        continue
    logdir = os.path.join(rootdir, inst, "conf", "log")
    if not os.path.isdir(logdir):
        drop(f"no {logdir}", data)
        continue
    msg = m.group(4).decode("utf-8", "replace")
    stamp = time.strftime("%b %d %H:%M:%S")
    with open(os.path.join(logdir, "syslog"), "a") as f:
        f.write(f"{stamp} {host} {tag}[{m.group(3).decode() if m.group(3) else pid}]: {msg}\n")
    copied += 1
