package conf

import (
	"testing"
	"time"
)

func TestSieveAccessors(t *testing.T) {
	c := mustLoad(t, "sync_server", "configdirectory: /cfg\n")
	if got := c.SieveFolder(); got != "#sieve" {
		t.Errorf("sieve_folder default %q", got)
	}
	if got := c.DavLockTimeout(); got != 20*time.Second {
		t.Errorf("dav_lock_timeout default %v", got)
	}
	c = mustLoad(t, "sync_server", "configdirectory: /cfg\nsieve_folder: Scripts\ndav_lock_timeout: 7\n")
	if got := c.SieveFolder(); got != "Scripts" {
		t.Errorf("sieve_folder %q", got)
	}
	if got := c.DavLockTimeout(); got != 7*time.Second {
		t.Errorf("dav_lock_timeout 7 (seconds) = %v", got)
	}
}
