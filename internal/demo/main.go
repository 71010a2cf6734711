// Command demo is `make demo`'s replication without Cyrus: a small master
// spool made by real Cyrus 3.6 (testdata/master, see its mkfixture.sh) is
// copied to a temporary directory and replicated by our sync_client -A
// into our sync_server --listen on loopback over an empty replica spool;
// then both spools are read back by our spool reader and compared, and a
// second sync_client run must change nothing. It needs neither Cyrus nor
// root: run as a normal user our programs run as that user.
//
//	go run ./internal/demo -bin ./cyrus-replication
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	bin := flag.String("bin", "./cyrus-replication", "our binary")
	fixture := flag.String("fixture", filepath.Join("internal", "demo", "testdata", "master"), "the master spool to replicate")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	flag.Parse()
	start := time.Now()
	if err := run(*bin, *fixture, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Printf("\ndone in %.1f s\n", time.Since(start).Seconds())
}
