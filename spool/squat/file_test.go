package squat

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cyrus.squat")
	if err := WriteFile(path, func(w io.Writer) error { return Build(w, 1, nil) }); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if _, err := ReadFile(path); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("SQUAT 1\n partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, first) {
		t.Fatal("failed write changed cyrus.squat")
	}
	if _, err := os.Stat(path + NewSuffix); !os.IsNotExist(err) {
		t.Fatalf("%s left behind: %v", NewSuffix, err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file read")
	}
}
