package cyrus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// fakeCyrus makes a bin directory whose cyr_info prints version.
func fakeCyrus(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = version ] || exit 64\necho '" + version + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "cyr_info"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDetectVersion(t *testing.T) {
	oldBin, oldPin := CyrusBinDir, CyrusVersion
	t.Cleanup(func() { CyrusBinDir, CyrusVersion = oldBin, oldPin })
	CyrusBinDir = t.TempDir() // no cyr_info there

	d310 := fakeCyrus(t, "cyrus-imapd 3.10.2-Debian-3.10.2-1+deb13u2")
	v, err := detectVersion(filepath.Join(d310, "sync_client"))
	if err != nil || v.Version != conf.V3_10 || v.From != filepath.Join(d310, "cyr_info") {
		t.Errorf("beside a 3.10 cyr_info: %+v %v", v, err)
	}
	// Not started from Cyrus's directory: CyrusBinDir is asked.
	CyrusBinDir = fakeCyrus(t, "cyrus-imapd 3.6.1-Debian-3.6.1-4+deb12u5")
	if v, err := detectVersion("sync_client"); err != nil || v.Version != conf.V3_6 {
		t.Errorf("from CyrusBinDir: %+v %v", v, err)
	}
	// A Cyrus we do not follow is refused, naming what it said.
	d312 := fakeCyrus(t, "cyrus-imapd 3.12.1")
	if _, err := detectVersion(filepath.Join(d312, "sync_server")); err == nil || !strings.Contains(err.Error(), "3.12.1") {
		t.Errorf("3.12: %v", err)
	}
	// No Cyrus to ask: 3.6, whose formats every later Cyrus reads.
	CyrusBinDir = t.TempDir()
	if v, err := detectVersion(filepath.Join(t.TempDir(), "sync_client")); err != nil || v.Version != conf.V3_6 || v.From != "assumed" {
		t.Errorf("no Cyrus: %+v %v", v, err)
	}
	// A cyr_info that fails is an error, not a guess.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "cyr_info"), []byte("#!/bin/sh\nexit 1\n"), 0o755)
	if _, err := detectVersion(filepath.Join(bad, "sync_client")); err == nil {
		t.Error("a failing cyr_info gave a version")
	}
	// The build-time pin wins over everything.
	CyrusVersion = "3.10"
	if v, err := detectVersion(filepath.Join(d312, "sync_server")); err != nil || v.Version != conf.V3_10 || v.From != "build" {
		t.Errorf("pinned: %+v %v", v, err)
	}
	CyrusVersion = "3.8"
	if _, err := detectVersion("x"); err == nil {
		t.Error("a pinned 3.8 was accepted")
	}
}
