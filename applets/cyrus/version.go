package cyrus

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// CyrusVersion, when set at build time, is the Cyrus release line the
// binary follows without asking ("3.6" or "3.10"): a package built for one
// distribution release pins it.
//
//	go build -ldflags "-X github.com/cyrus-replication/cyrus-replication/applets/cyrus.CyrusVersion=3.10"
var CyrusVersion = ""

// CyrusBinDir is where Cyrus's programs are looked for when the binary
// does not run from among them (Debian's directory by default).
var CyrusBinDir = "/usr/lib/cyrus/bin"

// VersionSource says how the version followed was found.
type VersionSource struct {
	// Version is the release line followed.
	Version conf.Version
	// From is "build" (CyrusVersion), the cyr_info program asked, or
	// "assumed" when no Cyrus could be asked.
	From string
	// Reported is what cyr_info printed, if it was asked.
	Reported string
}

var (
	detectOnce sync.Once
	detected   VersionSource
	detectErr  error
)

// DetectVersion finds the Cyrus this machine runs, once per process: the
// build-time CyrusVersion if set; else what `cyr_info version` prints,
// cyr_info taken from the directory the program was started from (Cyrus's
// bin directory, where install-links puts the applets) or CyrusBinDir;
// else 3.6, assumed. A Cyrus other than 3.6 or 3.10 is an error: its
// formats are not ours to write.
//
// Why this is safe when wrong: everything a 3.6 Cyrus writes, 3.10 reads,
// so the assumption without a Cyrus to ask is 3.6. The one thing followed
// from 3.10 that 3.6 could not read — a new mailbox's index version 19 —
// is written only when a 3.10 cyr_info (or the packager) said so.
func DetectVersion() (VersionSource, error) {
	detectOnce.Do(func() { detected, detectErr = detectVersion(os.Args[0]) })
	return detected, detectErr
}

func detectVersion(argv0 string) (VersionSource, error) {
	if CyrusVersion != "" {
		v, err := conf.ParseVersion(CyrusVersion)
		if err != nil {
			return VersionSource{}, fmt.Errorf("build-time CyrusVersion: %w", err)
		}
		return checkSupported(VersionSource{Version: v, From: "build"})
	}
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	var dirs []string
	if strings.Contains(argv0, "/") {
		dirs = append(dirs, filepath.Dir(argv0))
	}
	dirs = append(dirs, CyrusBinDir)
	for _, d := range dirs {
		prog := filepath.Join(d, "cyr_info")
		fi, err := os.Stat(prog)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			continue
		}
		if real, err := filepath.EvalSymlinks(prog); err == nil && real == self {
			continue // never ask ourselves
		}
		out, err := askCyrInfo(prog)
		if err != nil {
			return VersionSource{}, err
		}
		v, err := conf.ParseVersion(out)
		if err != nil {
			return VersionSource{}, fmt.Errorf("%s version: %w", prog, err)
		}
		return checkSupported(VersionSource{Version: v, From: prog, Reported: out})
	}
	return VersionSource{Version: conf.V3_6, From: "assumed"}, nil
}

// askCyrInfo runs `cyr_info version`, which reads no configuration.
//
// cyrus: imap/cyr_info.c main (3.6.1, 3.10.2)
func askCyrInfo(prog string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, prog, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", prog, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func checkSupported(s VersionSource) (VersionSource, error) {
	if !s.Version.IsSupported() {
		var names []string
		for _, v := range conf.Supported {
			names = append(names, v.String())
		}
		what := s.Reported
		if what == "" {
			what = s.Version.String()
		}
		return s, fmt.Errorf("unsupported Cyrus %s (%s): cyrus-replication follows Cyrus %s",
			what, s.From, strings.Join(names, " and "))
	}
	return s, nil
}
