package cyrus

import (
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// backgroundEnv marks the process StartBackground started in its place; it
// is removed from the environment as soon as it is seen.
const backgroundEnv = "CYRUS_REPLICATION_BACKGROUND"

// ExitForkFailed is the status of a program whose fork() failed (Cyrus's
// perror("fork"); exit(1)).
const ExitForkFailed = 1

// IsBackground tells whether this process is the one StartBackground
// started, and forgets the mark so that its own children are not taken
// for one.
func IsBackground() bool {
	if os.Getenv(backgroundEnv) == "" {
		return false
	}
	os.Unsetenv(backgroundEnv)
	return true
}

// StartBackground is a daemon's fork(): Cyrus forks and the parent exits 0
// at once. A Go program cannot fork, so the binary starts itself again with
// the same arguments, marked (IsBackground), and this process returns nil
// without waiting, to exit 0. As after Cyrus's fork the new process keeps
// the process group and session (no setsid): under master's START it stays
// in master's process group, whose SIGTERM at shutdown reaches it.
//
// With nullStdio the new process gets /dev/null as stdin, stdout and
// stderr and no other descriptor, as squatter's become_daemon arranges
// before its fork; without, it keeps this process's (sync_client's -r).
//
// cyrus: imap/sync_client.c main; imap/squatter.c become_daemon (3.6.1)
func StartBackground(stderr io.Writer, nullStdio bool) error {
	cmd := &exec.Cmd{Args: os.Args, Env: append(os.Environ(), backgroundEnv+"=1"),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if nullStdio {
		null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %s\n", os.DevNull, cyruslog.Strerror(err)) // perror("/dev/null")
			return &Fatal{Code: ExitForkFailed}
		}
		defer null.Close()
		cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	}
	exe, err := os.Executable()
	if err == nil {
		cmd.Path = exe
		if err = cmd.Start(); err == nil {
			return cmd.Process.Release()
		}
	}
	fmt.Fprintf(stderr, "fork: %s\n", cyruslog.Strerror(err)) // perror("fork")
	return &Fatal{Code: ExitForkFailed}
}
