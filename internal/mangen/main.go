// Command mangen writes the man pages of cyrus-replication's applets from
// their own flag tables (applets.Flags), so that a flag added to an applet
// appears in its page: `go run ./internal/mangen -o DIR -version V`. It is
// a program of its own and never linked into the binary.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("o", ".", "write the pages into `DIR`")
	version := flag.String("version", "", "the package `VERSION` the pages name")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
	for _, p := range pages() {
		path := filepath.Join(*out, p.Name+".8")
		if err := os.WriteFile(path, []byte(p.Render(*version)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "mangen:", err)
			os.Exit(1)
		}
	}
}
