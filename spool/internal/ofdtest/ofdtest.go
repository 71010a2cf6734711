// Package ofdtest holds test helpers for readers that lock as Cyrus does.
package ofdtest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// ReaderWaitsForWriter copies fixture to a temporary file, holds an
// exclusive lock on it as a Cyrus writer would, and checks that read waits
// for the lock and holds none once it has returned.
func ReaderWaitsForWriter(t *testing.T, fixture string, read func(path string) error) {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(fixture))
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
	go func() { done <- read(path) }()
	select {
	case err := <-done:
		t.Fatalf("the reader did not wait for the writer (err=%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := ofd.Unlock(w); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if held, err := ofd.Held(w, syscall.F_WRLCK); err != nil || held {
		t.Errorf("lock still held after the reader returned: %v %v", held, err)
	}
}
