package index

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// TestReadFileLocking: ReadFile waits while a writer holds the exclusive
// lock, and holds no lock once it has returned.
func TestReadFileLocking(t *testing.T) {
	data, err := os.ReadFile("testdata/user.cassandane.index")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cyrus.index")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := ofd.LockExclusive(w); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ReadFile(path)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("ReadFile did not wait for the writer (err=%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := ofd.Unlock(w); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if held, err := ofd.Held(w, syscall.F_WRLCK); err != nil || held {
		t.Errorf("lock still held after ReadFile returned: %v %v", held, err)
	}
}
