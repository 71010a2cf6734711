#!/bin/sh
# Run a command with a /dev/log of its own: in a private mount namespace
# whose /dev is a copy of the machine's (every entry bind-mounted) except
# that /dev/log is a link to SOCKET. Our static binary logs to /dev/log;
# the machine's /dev/log is shared with a syslog daemon or with other
# runs (integration tests bind it, or move it aside for a while) and a
# line sent there never reaches Cassandane's logs.
#
#   unshare --mount --propagation private sh cassandane-privdev.sh SOCKET COMMAND [ARG...]
set -eu
sock=${1:?usage: cassandane-privdev.sh SOCKET COMMAND [ARG...]}
shift
[ $# -gt 0 ] || { echo "cassandane-privdev: no command" >&2; exit 2; }
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
  echo "cassandane-privdev: not in a private mount namespace (run it under unshare --mount)" >&2
  exit 2
fi

# The machine's /dev stays reachable at $orig (in this namespace only)
# while a tmpfs takes its place.
orig=$(mktemp -d /tmp/cyrepl-dev.XXXXXX)
mount --rbind /dev "$orig"
mount -t tmpfs -o mode=0755 cyrepl-dev /dev
for e in "$orig"/* "$orig"/.[!.]*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  name=${e##*/}
  [ "$name" = log ] && continue
  if [ -L "$e" ]; then
    ln -s "$(readlink "$e")" "/dev/$name"
  elif [ -d "$e" ]; then
    mkdir "/dev/$name" && mount --rbind "$e" "/dev/$name"
  else
    : > "/dev/$name" && mount --bind "$e" "/dev/$name"
  fi
done
ln -s "$sock" /dev/log
umount -l "$orig"
rmdir "$orig"
exec "$@"
