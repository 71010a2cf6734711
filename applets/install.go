package applets

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
)

// InstallLinks makes dir/<applet> a symlink to binary for every applet. A
// file already there is replaced only if it is our link (a symlink to
// binary) or if force is set; anything else is refused, so that Cyrus's own
// programs are never overwritten by accident.
func InstallLinks(binary, dir string, force bool, out io.Writer) error {
	binary, err := filepath.Abs(binary)
	if err != nil {
		return err
	}
	for _, name := range Names() {
		link := filepath.Join(dir, name)
		if fi, err := os.Lstat(link); err == nil {
			ours := false
			if fi.Mode()&os.ModeSymlink != 0 {
				if t, err := os.Readlink(link); err == nil && t == binary {
					ours = true
				}
			}
			if ours {
				fmt.Fprintf(out, "%s: already linked\n", link)
				continue
			}
			if !force {
				return fmt.Errorf("install-links: %s exists and is not a link to %s (use -f to replace it)", link, binary)
			}
			if err := os.Remove(link); err != nil {
				return fmt.Errorf("install-links: %w", err)
			}
		}
		if err := os.Symlink(binary, link); err != nil {
			return fmt.Errorf("install-links: %w", err)
		}
		fmt.Fprintf(out, "%s -> %s\n", link, binary)
	}
	return nil
}

// installLinksFlags is our install-links command's command line.
var installLinksFlags = &getopt.Table{
	Name:  "install-links",
	Usage: "usage: " + Binary + " install-links [-f] DIR",
	Options: []getopt.Option{
		{Short: 'f', Long: "force", Help: "replace files in DIR that are not links to the binary"},
	},
}

func installLinksMain(args []string, stdout, stderr io.Writer) int {
	opts, operands, errs := installLinksFlags.Parse(args[1:])
	if len(errs) > 0 || len(operands) != 1 {
		fmt.Fprintln(stderr, installLinksFlags.Usage)
		return cyrus.ExitUsage
	}
	force := false
	for _, o := range opts {
		force = force || o.Name == 'f'
	}
	dir := operands[0]
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err == nil {
		err = InstallLinks(self, dir, force, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 73 // EX_CANTCREAT
	}
	return 0
}
