package syncserver

import (
	"strings"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// bannerVersion is the version our csync banner shows: that of the Cyrus
// followed, as its cyr_info reports it (without the "cyrus-imapd "
// prefix), marked as ours; protocol.Version when no Cyrus was asked.
func bannerVersion(v cyrus.VersionSource) string {
	r := strings.TrimSpace(strings.TrimPrefix(v.Reported, "cyrus-imapd"))
	if r == "" {
		return protocol.Version
	}
	return r + " (cyrus-replication)"
}
