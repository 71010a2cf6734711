#!/bin/sh
# make demo: the sync log on an embedded default configuration. Our
# cyr_synclog writes items into a throw-away configdirectory the way
# imapd/lmtpd would, then synclog-show reads them back, grouped the way
# sync_client will process them.
set -eu
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cat > "$dir/imapd.conf" <<CONF
configdirectory: $dir/conf
sync_log: 1
sync_log_channels: "" squatter
cyrus_user: $(id -un)
cyrus_group: $(id -gn)
unixhierarchysep: yes
CONF
mkdir -p "$dir/bin"
ln -s "$bin" "$dir/bin/cyr_synclog"   # applets are chosen by argv[0]
log() { echo "\$ cyr_synclog $*"; "$dir/bin/cyr_synclog" -C "$dir/imapd.conf" "$@"; }
log -m user.fred
log -m "user.fred.Sent Items"
log -s fred 4b2a3c1e-5d8f-4f7a-9c0b-1d2e3f4a5b6c
log -b fred user.fred.Archive
log -u bob
log -q user.fred
log "RENAME user.fred.Old user.fred.New"
echo
echo "--- $dir/conf/sync/log as Cyrus writes it:"
cat "$dir/conf/sync/log"
echo
echo "--- read back (cyrus-replication synclog-show):"
"$bin" synclog-show -C "$dir/imapd.conf"
