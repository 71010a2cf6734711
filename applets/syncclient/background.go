package syncclient

import (
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// backgroundEnv marks the process -r started in its place; it is removed
// from the environment as soon as it is seen.
const backgroundEnv = "CYRUS_REPLICATION_BACKGROUND"

// inBackground tells whether -r should go to the background: not with -f,
// not under Cyrus's master as a DAEMON (CYRUS_ISDAEMON), and not when this
// process is already the background one.
func inBackground(o *Options) bool {
	if os.Getenv(backgroundEnv) != "" {
		os.Unsetenv(backgroundEnv)
		return false
	}
	return o.Mode == ModeRolling && o.Background && o.InputFile == "" && os.Getenv("CYRUS_ISDAEMON") == ""
}

// startBackground is -r's fork(): Cyrus forks and the parent exits 0 at
// once. A Go program cannot fork, so the binary starts itself again with
// the same arguments, marked, and this process exits 0 without waiting.
// As after Cyrus's fork the new process keeps the process group, session
// and standard files (no setsid): under master's START it stays in
// master's process group, whose SIGTERM at shutdown reaches it. It does
// so before reading the configuration, as Cyrus, so configuration errors
// go to the background process's stderr and syslog.
//
// cyrus: imap/sync_client.c main (3.6.1)
var startBackground = func(stderr io.Writer) error {
	exe, err := os.Executable()
	if err == nil {
		cmd := &exec.Cmd{Path: exe, Args: os.Args, Env: append(os.Environ(), backgroundEnv+"=1"),
			Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
		if err = cmd.Start(); err == nil {
			return cmd.Process.Release()
		}
	}
	fmt.Fprintf(stderr, "fork: %s\n", cyruslog.Strerror(err)) // perror("fork")
	return &cyrus.Fatal{Code: exitFailed}
}
