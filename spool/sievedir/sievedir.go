// Package sievedir is a user's sieve directory as Cyrus 3.6 keeps it:
// "<name>.bc" bytecode files and the symlink "defaultbc" -> "<name>.bc"
// naming the active script (legacy "<name>.script" sources until they are
// migrated into #sieve).
//
// Cyrus compiles a script into its .bc whenever a #sieve record is stored.
// We have no sieve compiler of our own: PutScript runs a Compiler, Cyrus's
// sievec (Sievec), and without one, or when it fails, removes the stale
// .bc. lmtpd copes with that too: before running the active script (or an
// included one) it recompiles "<name>.bc" from the #sieve message that
// dav.db names when the .bc is missing, older than the row's lastupdated
// or of another bytecode version.
//
// cyrus: imap/sievedir.c; imap/lmtp_sieve.c sieve_find_script;
// imap/sieve_db.c sieve_script_rebuild (3.6.1)
package sievedir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File names in a sieve directory.
const (
	BytecodeSuffix = ".bc"
	ScriptSuffix   = ".script"
	DefaultBC      = "defaultbc"
)

// Active returns the name of the active script: the target of defaultbc
// without its last three bytes ("" when there is no link or its target is
// too short, as sievedir_get_active).
//
// cyrus: imap/sievedir.c sievedir_get_active (3.6.1)
func Active(dir string) (string, error) {
	t, err := os.Readlink(filepath.Join(dir, DefaultBC))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sievedir: read active script link: %w", err)
	}
	if len(t) <= len(BytecodeSuffix) {
		return "", nil
	}
	return t[:len(t)-len(BytecodeSuffix)], nil
}

// Activate points defaultbc at "<name>.bc" (a relative link made as
// defaultbc.NEW and renamed over it), unless it already does. The target
// need not exist.
//
// cyrus: imap/sievedir.c sievedir_activate_script (3.6.1)
func Activate(dir, name string) error {
	if cur, err := Active(dir); err == nil && cur == name {
		return nil
	}
	active := filepath.Join(dir, DefaultBC)
	tmp := active + ".NEW"
	if err := os.Symlink(name+BytecodeSuffix, tmp); err != nil {
		return fmt.Errorf("sievedir: create temp active script link: %w", err)
	}
	if err := os.Rename(tmp, active); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sievedir: rename active script link: %w", err)
	}
	return nil
}

// Deactivate removes defaultbc.
//
// cyrus: imap/sievedir.c sievedir_deactivate_script (3.6.1)
func Deactivate(dir string) error {
	if err := os.Remove(filepath.Join(dir, DefaultBC)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sievedir: delete active script link: %w", err)
	}
	return nil
}

// DeleteScript removes "<name>.bc".
//
// cyrus: imap/sievedir.c sievedir_delete_script (3.6.1)
func DeleteScript(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name+BytecodeSuffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sievedir: delete bytecode file: %w", err)
	}
	return nil
}

// PutScript is sievedir_put_script for a new version of script name:
// the directory is created if missing (mode 0755, with its parents, as
// Cyrus does for the bytecode file), then c compiles the script into
// "<name>.bc.NEW", renamed over "<name>.bc". Without a compiler the
// existing "<name>.bc", which holds the previous version, is removed, so
// that lmtpd compiles the new one from #sieve before its next use (see
// the package comment); so too when c fails, and the error returned is a
// *CompileError then (Cyrus refuses the script instead).
//
// cyrus: imap/sievedir.c sievedir_put_script (3.6.1)
func PutScript(ctx context.Context, dir, name string, script []byte, c Compiler) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sievedir: create directory for bytecode file: %w", err)
	}
	if c != nil {
		path := filepath.Join(dir, name+BytecodeSuffix)
		err := c.Compile(ctx, script, path+".NEW")
		if err == nil {
			if err = os.Rename(path+".NEW", path); err == nil {
				return nil
			}
		}
		os.Remove(path + ".NEW")
		if err := DeleteScript(dir, name); err != nil {
			return err
		}
		return &CompileError{Name: name, Err: err}
	}
	return DeleteScript(dir, name)
}

// Clean removes from dir whatever is neither the bytecode of a live
// script (a regular file "<name>.bc", name in scripts) nor the defaultbc
// link to the active script's bytecode; with no scripts at all everything
// goes. Sub-directories stay (unlink fails on them, silently in Cyrus).
// active is "" when no script is active. It returns the names removed.
//
// cyrus: imap/sync_support.c sync_get_user, remove_cb (3.6.1)
func Clean(dir string, scripts []string, active string) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sievedir: can not open sieve directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		fi, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if len(scripts) > 0 && keep(path, name, fi, scripts, active) {
			continue
		}
		if fi.IsDir() {
			continue
		}
		// Cyrus ignores a failed unlink here: the next GET USER retries.
		if os.Remove(path) == nil {
			removed = append(removed, name)
		}
	}
	return removed, nil
}

func keep(path, name string, fi os.FileInfo, scripts []string, active string) bool {
	switch {
	case fi.Mode().IsRegular():
		i := strings.LastIndexByte(name, '.')
		return i >= 0 && name[i:] == BytecodeSuffix && slices.Contains(scripts, name[:i])
	case fi.Mode()&os.ModeSymlink != 0 && name == DefaultBC:
		t, err := os.Readlink(path)
		if err != nil || active == "" {
			return false
		}
		if len(t) >= len(BytecodeSuffix) {
			t = t[:len(t)-len(BytecodeSuffix)]
		}
		return t == active
	}
	return false
}
