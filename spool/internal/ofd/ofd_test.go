package ofd

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestSharedBlocksOnExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := LockExclusive(w); err != nil {
		t.Fatal(err)
	}
	// OFD locks conflict even within one process.
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if ok, err := TryLockShared(r); err != nil || ok {
		t.Fatalf("TryLockShared under exclusive lock = %v, %v; want false, nil", ok, err)
	}
	if held, err := Held(r, syscall.F_RDLCK); err != nil || !held {
		t.Fatalf("Held = %v, %v; want true", held, err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := OpenShared(path)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("OpenShared did not wait for the exclusive lock (err=%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := Unlock(w); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OpenShared still blocked after unlock")
	}
}

func TestOpenSharedFollowsRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := LockExclusive(w); err != nil {
		t.Fatal(err)
	}
	done := make(chan *os.File, 1)
	go func() {
		f, err := OpenShared(path)
		if err != nil {
			t.Error(err)
		}
		done <- f
	}()
	time.Sleep(50 * time.Millisecond)
	// a "repack": new file renamed over the locked one, then unlock
	if err := os.WriteFile(path+".NEW", []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".NEW", path); err != nil {
		t.Fatal(err)
	}
	if err := Unlock(w); err != nil {
		t.Fatal(err)
	}
	f := <-done
	if f == nil {
		return
	}
	defer f.Close()
	b := make([]byte, 3)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	if string(b) != "new" {
		t.Fatalf("OpenShared returned the replaced file (%q)", b)
	}
}
