package integration

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the binary Ours built once the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if oursPath != "" {
		os.RemoveAll(filepath.Dir(oursPath))
	}
	os.Exit(code)
}
