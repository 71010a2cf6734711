package cyrus

import (
	"os"
	"path/filepath"
	"testing"
)

// TestProgram: Cyrus's program is found beside the name we run as, then
// in DefaultBinDir; a file that is not executable does not count.
func TestProgram(t *testing.T) {
	install, def := t.TempDir(), t.TempDir()
	saved := DefaultBinDir
	DefaultBinDir = def
	t.Cleanup(func() { DefaultBinDir = saved })
	argv0 := filepath.Join(install, "sync_client")

	if p := Program(argv0, "sievec"); p != "" {
		t.Errorf("found %q in empty directories", p)
	}
	os.WriteFile(filepath.Join(def, "sievec"), []byte("#!/bin/sh\n"), 0o755)
	if p := Program(argv0, "sievec"); p != filepath.Join(def, "sievec") {
		t.Errorf("got %q, want DefaultBinDir's", p)
	}
	os.WriteFile(filepath.Join(install, "sievec"), []byte("#!/bin/sh\n"), 0o644)
	if p := Program(argv0, "sievec"); p != filepath.Join(def, "sievec") {
		t.Errorf("got %q: a file that is not executable", p)
	}
	os.Chmod(filepath.Join(install, "sievec"), 0o755)
	if p := Program(argv0, "sievec"); p != filepath.Join(install, "sievec") {
		t.Errorf("got %q, want the one beside argv[0]", p)
	}
}
