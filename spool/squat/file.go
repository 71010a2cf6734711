package squat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// NewSuffix is appended to cyrus.squat for the file being built, as
// mailbox_meta_newfname names it; Cyrus renames it over cyrus.squat.
// cyrus: imap/mboxname.c mboxname_metapath; imap/search_squat.c
// begin_mailbox, end_mailbox (3.6.1)
const NewSuffix = ".NEW"

// WriteFile has write produce an index into path+".NEW", fsyncs it,
// renames it over path and fsyncs the directory, so readers see the old
// index or the new one, never a partial file. On error the .NEW file is
// removed and path is untouched.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	tmp := path + NewSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("squat: create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 128*1024)
	if err = write(bw); err != nil {
		return fmt.Errorf("squat: write %s: %w", tmp, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("squat: write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("squat: fsync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("squat: close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("squat: rename %s: %w", tmp, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("squat: open directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("squat: fsync directory %s: %w", dir, err)
	}
	return nil
}
