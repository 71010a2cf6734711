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

usage: cassandane-devlog.py ROOTDIR BINARY
It binds /dev/log (refusing if it exists) and removes it on SIGTERM.
"""
import os
import re
import signal
import socket
import struct
import sys
import time

rootdir, binary = sys.argv[1], os.path.realpath(sys.argv[2])
path = "/dev/log"
if os.path.lexists(path):
    sys.exit("cassandane-devlog: /dev/log already exists; not touching it")

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)


def bye(*_):
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
ours = {}  # pid -> whether it runs our binary, decided at its first line


def sender_is_ours(pid, prog):
    if pid in ours:
        return ours[pid]
    try:
        # " (deleted)": the binary was rebuilt while the process runs
        exe = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
        ours[pid] = exe == binary
    except OSError:
        return prog in ("sync_client", "sync_server")
    return ours[pid]


while True:
    data, anc, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(ucred.size))
    pid = 0
    for level, kind, value in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = ucred.unpack(value[:ucred.size])[0]
    m = rx.match(data)
    if not m:
        continue
    tag = m.group(2).decode("utf-8", "replace")
    inst, _, prog = tag.partition("/")
    if not re.fullmatch(r"[0-9A-Za-z]+", inst) or not sender_is_ours(pid, prog):
        continue
    logdir = os.path.join(rootdir, inst, "conf", "log")
    if not os.path.isdir(logdir):
        continue
    msg = m.group(4).decode("utf-8", "replace")
    stamp = time.strftime("%b %d %H:%M:%S")
    with open(os.path.join(logdir, "syslog"), "a") as f:
        f.write(f"{stamp} {host} {tag}[{m.group(3).decode() if m.group(3) else pid}]: {msg}\n")
