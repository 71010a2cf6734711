package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// allowedDeps pins what the binary may link beyond the standard library, so
// that it stays small and static: a new dependency is a decision, made here.
var allowedDeps = map[string]bool{
	"github.com/cyrus-replication/cyrus-replication": true,
	"github.com/urfave/cli/v2":                       true, // sync_client's flags and help (design card)
	"github.com/xrash/smetrics":                      true, // urfave/cli's flag suggestions
	"github.com/emersion/go-sasl":                    true, // SASL PLAIN/LOGIN (design card)
	"github.com/pierrec/lz4/v4":                      true, // LZ4 between our peers (design card)
	"github.com/klauspost/compress":                  true, // DEFLATE about twice the standard library's speed (protocol/compress.go)
	// A user's dav.db (SQLite), which Cyrus 3.6 keeps in step with #sieve:
	// modernc.org/sqlite is SQLite compiled to pure Go (no cgo, the binary
	// stays static); it costs about 6.4 MB of binary (10.8 -> 17.2 MB).
	"modernc.org/sqlite":               true,
	"modernc.org/libc":                 true, // modernc.org/sqlite's C runtime
	"modernc.org/mathutil":             true, // its dependencies
	"modernc.org/memory":               true,
	"github.com/dustin/go-humanize":    true,
	"github.com/google/uuid":           true,
	"github.com/remyoudompheng/bigfft": true,
	"golang.org/x/sys":                 true,
	// Multi-byte mail charsets (ISO-2022-JP, Shift_JIS, EUC-*, GBK, Big5,
	// UTF-16) for the search text squatter indexes (spool/searchtext).
	"golang.org/x/text": true,
}

// buildTags are the tags the Makefile builds with: urfave_cli_no_docs
// leaves urfave/cli's man-page generator (go-md2man, blackfriday) out.
const buildTags = "urfave_cli_no_docs"

func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", buildTags, "-f", "{{if not .Standard}}{{.Module.Path}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	for _, m := range strings.Fields(string(out)) {
		seen[m] = true
	}
	var extra []string
	for m := range seen {
		if !allowedDeps[m] {
			extra = append(extra, m)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("the binary links modules that are not pinned in allowedDeps: %v", extra)
	}
}

func TestStaticBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "cyrus-replication")
	cmd := exec.Command("go", "build", "-tags", buildTags, "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("binary is dynamically linked (%v)", p.Type)
		}
	}
}
