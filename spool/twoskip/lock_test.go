package twoskip

import (
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofdtest"
)

// TestReadFileLocking: ReadFile waits while a writer holds the exclusive
// lock, and holds no lock once it has returned.
func TestReadFileLocking(t *testing.T) {
	ofdtest.ReaderWaitsForWriter(t, "testdata/seen.db", func(p string) error { _, err := ReadFile(p); return err })
}
