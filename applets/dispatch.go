// Package applets dispatches to the applet a command line names (argv[0],
// followed through symlinks, or the first argument) and holds the
// multi-call binary's own commands: install-links, synclog-show and
// status (package status).
//
// The applets, one package each: cyrsynclog (cyr_synclog), syncclient
// (sync_client), syncserver (sync_server), syncreset (sync_reset) and
// squatterchannel (squatter-channel: Cyrus's squatter -R and -f).
// Beside them, cyrus does for every applet what Cyrus's cyrus_init does
// (configuration, user, umask, syslog), and getopt parses command lines as
// glibc's getopt_long does for Cyrus's programs.
package applets

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrsynclog"
	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/applets/squatterchannel"
	"github.com/cyrus-replication/cyrus-replication/applets/status"
	"github.com/cyrus-replication/cyrus-replication/applets/syncclient"
	"github.com/cyrus-replication/cyrus-replication/applets/syncreset"
	"github.com/cyrus-replication/cyrus-replication/applets/syncserver"
)

// Binary is the name of the multi-call binary itself.
const Binary = "cyrus-replication"

// Applet is one program of the binary.
type Applet struct {
	// Name is the program name, as Cyrus installs it.
	Name string
	// Main runs it; argv[0] is the name it was invoked as.
	Main func(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error
	// Flags is its command line, for help and man pages.
	Flags *getopt.Table
}

// registry lists the applets that work. Only these are installed and
// listed.
var registry = map[string]Applet{
	"cyr_synclog": {Name: "cyr_synclog", Main: func(ctx context.Context, argv []string, _ io.Reader, stdout, stderr io.Writer) error {
		return cyrsynclog.Main(ctx, argv, stdout, stderr)
	}, Flags: cyrsynclog.Flags()},
	"sync_client": {Name: "sync_client", Main: func(ctx context.Context, argv []string, _ io.Reader, stdout, stderr io.Writer) error {
		return syncclient.Main(ctx, argv, stdout, stderr)
	}, Flags: syncclient.Flags()},
	"sync_server": {Name: "sync_server", Main: syncserver.Main, Flags: syncserver.Flags()},
	"sync_reset": {Name: "sync_reset", Main: func(ctx context.Context, argv []string, _ io.Reader, stdout, stderr io.Writer) error {
		return syncreset.Main(ctx, argv, stdout, stderr)
	}, Flags: syncreset.Flags()},
	"squatter-channel": {Name: "squatter-channel", Main: func(ctx context.Context, argv []string, _ io.Reader, stdout, stderr io.Writer) error {
		return squatterchannel.Main(ctx, argv, stdout, stderr, SquatIndexer)
	}, Flags: squatterchannel.Flags()},
}

// SquatIndexer makes squatter-channel's search indexer: the native SQUAT
// indexer. Tests may set another (or nil: squatter-channel then refuses
// to start).
var SquatIndexer squatterchannel.NewIndexer = squatterchannel.Native

// Names lists the applets, sorted.
func Names() []string {
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Flags is the command line of the applet name, nil for none: for help
// and man pages.
func Flags(name string) *getopt.Table {
	if a, ok := registry[name]; ok {
		return a.Flags
	}
	return nil
}

// CommandFlags are the command lines of the binary's own commands
// (install-links, synclog-show, status), for man pages.
func CommandFlags() []*getopt.Table {
	return []*getopt.Table{installLinksFlags, synclogShowFlags, status.Flags()}
}

// Run runs the applet named by argv and returns the exit status.
func Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := AppletName(argv[0])
	if _, ok := registry[name]; !ok {
		// Called as the binary itself (or under an unknown name): the
		// applet is the first argument.
		if len(argv) < 2 {
			return usage(stderr, argv[0], "")
		}
		switch argv[1] {
		case "install-links":
			return installLinksMain(argv[1:], stdout, stderr)
		case "synclog-show":
			return synclogShowMain(argv[1:], stdout, stderr)
		case "status":
			return status.Main(argv[1:], stdout, stderr)
		case "-h", "--help", "help":
			usage(stdout, argv[0], "")
			return 0
		}
		if _, ok := registry[argv[1]]; !ok {
			return usage(stderr, argv[0], argv[1])
		}
		name, argv = argv[1], argv[1:]
	}
	defer startProfile()()
	err := registry[name].Main(ctx, argv, stdin, stdout, stderr)
	if f, ok := err.(*cyrus.Fatal); ok && f.Msg != "" {
		fmt.Fprintf(stderr, "fatal error: %s\n", f.Msg)
	} else if err != nil && !ok {
		fmt.Fprintf(stderr, "fatal error: %v\n", err)
	}
	return cyrus.ExitCode(err)
}

func usage(w io.Writer, argv0, unknown string) int {
	if unknown != "" {
		fmt.Fprintf(w, "%s: unknown applet %q\n", filepath.Base(argv0), unknown)
	}
	synopsis := func(t *getopt.Table) string { return strings.TrimPrefix(t.Usage, "usage: ") }
	fmt.Fprintf(w, "usage: %s APPLET [ARGS...]\n"+
		"       %s   (link the applets into DIR)\n"+
		"       %s   (what a sync log holds)\n"+
		"       %s   (replication backlog and rolling clients)\n"+
		"applets: %s\n", Binary, synopsis(installLinksFlags), synopsis(synclogShowFlags), synopsis(status.Flags()), strings.Join(Names(), " "))
	return cyrus.ExitUsage
}

// AppletName is the applet an argv[0] names: its base name if that is an
// applet; otherwise the name of the last link of the symlink chain that
// leads from it to the binary (so /usr/local/bin/x -> .../bin/sync_client ->
// /opt/cyrus-replication runs sync_client).
func AppletName(argv0 string) string {
	base := filepath.Base(argv0)
	if _, ok := registry[base]; ok {
		return base
	}
	p := argv0
	if !strings.Contains(p, "/") {
		lp, err := exec.LookPath(p)
		if err != nil {
			return base
		}
		p = lp
	}
	for range 40 { // the kernel's own limit on symlink chains
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return base
		}
		target, err := os.Readlink(p)
		if err != nil {
			return base
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		if tfi, err := os.Lstat(target); err == nil && tfi.Mode()&os.ModeSymlink == 0 {
			return filepath.Base(p) // p is the last link
		}
		p = target
	}
	return base
}
