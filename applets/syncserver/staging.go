package syncserver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// staged is a message file the session holds for a coming append: hard
// linked from a local mailbox by APPLY RESERVE, or uploaded by APPLY
// MESSAGE.
type staged struct {
	path     string
	size     int64
	archived bool // found on an archive partition
}

// staging is a session's reserve list: per partition, the GUIDs the
// client announced and the files found or received for them, kept in
// <partition>/sync./<name>/<guid> as Cyrus keeps them (name is the pid, as
// in Cyrus, and unique per session when one process serves several).
//
// cyrus: imap/sync_support.c struct sync_reserve_list;
// imap/dlist.c dlist_reserve_path (3.6.1)
type staging struct {
	sp    *spool.Spool
	name  string
	log   *slog.Logger
	files map[string]map[guid.GUID]*staged
	dirs  []string
}

func newStaging(sp *spool.Spool, name string, log *slog.Logger) *staging {
	return &staging{sp: sp, name: name, log: log, files: map[string]map[guid.GUID]*staged{}}
}

// dir returns (creating it) the staging directory of partition, on its
// archive partition if archived and one is configured.
func (st *staging) dir(partition string, archived bool) (string, error) {
	base, ok := "", false
	if archived {
		base, ok = st.sp.Config().ArchivePartitionDir(partition)
	}
	if !ok || base == "" {
		base, ok = st.sp.Config().PartitionDir(partition)
	}
	if !ok || base == "" {
		// Cyrus asserts here and the process dies; we refuse the command.
		return "", fmt.Errorf("partition %q: %w", partition, errUnknownPartition)
	}
	d := filepath.Join(base, "sync.", st.name)
	if !slices.Contains(st.dirs, d) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			cyruslog.Xsyslog(st.log, cyruslog.LevelErr, "IOERROR: failed to create directory for reserve", "dlist_reserve_path", "directory", d+"/")
			return "", err
		}
		st.dirs = append(st.dirs, d)
	}
	return d, nil
}

// errUnknownPartition marks a partition imapd.conf does not name.
var errUnknownPartition = errors.New("no such partition")

// lookup returns the staged file of g on partition, or nil.
func (st *staging) lookup(partition string, g guid.GUID) *staged {
	return st.files[partition][g]
}

// add records a staged file.
func (st *staging) add(partition string, g guid.GUID, f *staged) {
	m := st.files[partition]
	if m == nil {
		m = map[guid.GUID]*staged{}
		st.files[partition] = m
	}
	m[g] = f
}

// receive is the FileFunc of APPLY MESSAGE: the content goes to a
// temporary file renamed to its GUID once complete and checked (the
// decoder checks the SHA-1 while we read), so no staged file is ever
// partial. It is not fsynced here: the append that links it into a
// mailbox syncs it before the index names it.
//
// cyrus: imap/dlist.c reservefile (3.6.1)
func (st *staging) receive(partition, guidText string, size int64, r io.Reader) error {
	g, err := guid.Parse(guidText)
	if err != nil {
		return err
	}
	d, err := st.dir(partition, false)
	if err != nil {
		return err
	}
	final := filepath.Join(d, g.String())
	tmp := final + ".tmp"
	if want, ok := st.sp.Config().DebugWriteFailGUID(); ok && want == g.String() {
		cyruslog.Xsyslog(st.log, cyruslog.LevelErr, "IOERROR: failed to upload file (simulated)", "reservefile", "guid", g.String())
		return fmt.Errorf("upload of %s: %w", g, errSimulatedENOSPC)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		cyruslog.Xsyslog(st.log, cyruslog.LevelErr, "IOERROR: failed to upload file", "reservefile", "guid", g.String())
		return err
	}
	n, err := io.Copy(f, r)
	if err == nil {
		// start the writeback now, so that the sync before the index names
		// the file (spool's commit) finds little left to write
		unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("%d bytes of %d", n, size)
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		cyruslog.Xsyslog(st.log, cyruslog.LevelErr, "IOERROR: write failed", "reservefile", "fname", final, "error", err)
		return err
	}
	st.add(partition, g, &staged{path: final, size: size})
	return nil
}

// errSimulatedENOSPC is debug_writefail_guid's pretend full disk.
var errSimulatedENOSPC = errors.New("no space left on device (simulated by debug_writefail_guid)")

// reset unlinks every staged file and removes the staging directories:
// RESTART, EXIT and the end of a session.
//
// cyrus: imap/sync_server.c cmd_restart (3.6.1)
func (st *staging) reset() {
	for _, m := range st.files {
		for _, f := range m {
			os.Remove(f.path)
		}
	}
	st.files = map[string]map[guid.GUID]*staged{}
	for _, d := range st.dirs {
		// leftovers of an interrupted upload too
		if ents, err := os.ReadDir(d); err == nil {
			for _, e := range ents {
				os.Remove(filepath.Join(d, e.Name()))
			}
		}
		os.Remove(d)
	}
	st.dirs = nil
}
