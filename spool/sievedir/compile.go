package sievedir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Compiler writes the bytecode of a sieve script to a file.
type Compiler interface {
	Compile(ctx context.Context, script []byte, bcPath string) error
}

// Sievec compiles with Cyrus's own sievec, the compiler installed with
// the lmtpd that runs the bytecode: what it writes is that lmtpd's
// bytecode version and reflects the sieve options of the same
// imapd.conf, as the bytecode Cyrus's mailbox code writes.
type Sievec struct {
	// Path is the sievec program, Config the imapd.conf it reads (-C).
	Path, Config string
}

// sievecTimeout bounds one compilation (a script is small; a hung
// sievec must not hold the mailbox locked for ever).
const sievecTimeout = time.Minute

// Compile writes script to a temporary file beside bcPath and runs
// "sievec -C Config FILE bcPath". The error carries sievec's output.
func (c Sievec) Compile(ctx context.Context, script []byte, bcPath string) error {
	f, err := os.CreateTemp(filepath.Dir(bcPath), ".sievec-*.script")
	if err != nil {
		return fmt.Errorf("sievedir: script file for sievec: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(script)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sievedir: script file for sievec: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sievecTimeout)
	defer cancel()
	args := []string{f.Name(), bcPath}
	if c.Config != "" {
		args = append([]string{"-C", c.Config}, args...)
	}
	out, err := exec.CommandContext(ctx, c.Path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sievedir: %s: %w: %s", c.Path, err, bytes.TrimSpace(out))
	}
	if _, err := os.Stat(bcPath); err != nil {
		return fmt.Errorf("sievedir: %s wrote no bytecode: %w: %s", c.Path, err, bytes.TrimSpace(out))
	}
	return nil
}

// CompileError is PutScript's report of a compilation that failed: the
// stale bytecode is gone all the same, lmtpd compiles (or fails to) at
// the next delivery.
type CompileError struct {
	Name string
	Err  error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("sievedir: compiling script %s: %v", e.Name, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// IsCompileError tells whether err is (or wraps) a CompileError.
func IsCompileError(err error) bool {
	var ce *CompileError
	return errors.As(err, &ce)
}
