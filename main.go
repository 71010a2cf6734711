// Command cyrus-replication is Cyrus IMAP's replication tools in one static
// binary. The applet is chosen by the name it is run as (a symlink named
// sync_client, cyr_synclog, ...) or by its first argument:
//
//	cyrus-replication cyr_synclog -u fred
//	cyrus-replication install-links /usr/lib/cyrus/bin
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/applets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := applets.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
