package cyrus

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool/sievedir"
)

// DefaultBinDir is where Cyrus's own programs are installed (Debian's
// packages: /usr/lib/cyrus/bin; upstream: /usr/cyrus/bin). A package for
// another system sets it with -ldflags -X.
var DefaultBinDir = "/usr/lib/cyrus/bin"

// Program returns the path of one of Cyrus's programs (sievec): the one
// beside the name we were started as (argv0: our links live in Cyrus's
// bin directory, among its programs), else the one in DefaultBinDir; ""
// when neither is there.
func Program(argv0, name string) string {
	var dirs []string
	if strings.Contains(argv0, "/") {
		dirs = append(dirs, filepath.Dir(argv0))
	} else if p, err := exec.LookPath(argv0); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range append(dirs, DefaultBinDir) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// SieveCompiler is Cyrus's sievec reading cfg's imapd.conf, which the
// spool runs to write the bytecode of the scripts it stores in #sieve
// mailboxes, as Cyrus's mailbox code writes it; nil when sievec is not
// installed (the stale bytecode is removed then, and lmtpd compiles).
func SieveCompiler(argv0 string, cfg *conf.Config) sievedir.Compiler {
	p := Program(argv0, "sievec")
	if p == "" {
		return nil
	}
	return sievedir.Sievec{Path: p, Config: cfg.Path}
}
