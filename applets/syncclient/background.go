package syncclient

import (
	"io"
	"os"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
)

// inBackground tells whether -r should go to the background: not with -f,
// not under Cyrus's master as a DAEMON (CYRUS_ISDAEMON), and not when this
// process is already the background one.
func inBackground(o *Options) bool {
	if cyrus.IsBackground() {
		return false
	}
	return o.Mode == ModeRolling && o.Background && o.InputFile == "" && os.Getenv("CYRUS_ISDAEMON") == ""
}

// startBackground is -r's fork(), before the configuration is read, as in
// Cyrus, so configuration errors go to the background process's stderr
// and syslog; the new process keeps the standard files.
//
// cyrus: imap/sync_client.c main (3.6.1)
func startBackground(stderr io.Writer) error {
	return cyrus.StartBackground(stderr, false)
}
