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
	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// staged is a message file the session holds for a coming append: hard
// linked from a local mailbox by APPLY RESERVE, or uploaded by APPLY
// MESSAGE.
type staged struct {
	path     string
	size     int64
	archived bool // found on an archive partition
	// parsed is the cache entry derived while the file was received (a
	// small upload), used by the first append that links the file; nil
	// when the append must parse the file itself.
	parsed *cache.Message
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
	// buf receives small uploads; parsedBytes is what the parsed entries
	// not yet appended hold, kept under maxParsedBytes.
	buf         []byte
	parsedBytes int
}

// Uploads up to maxBufferedUpload bytes are received in memory, written
// with one call and parsed there, so that the append does not read the
// file back; larger ones stream to disk. maxParsedBytes bounds the cache
// entries waiting for their append (a client may upload a whole user's
// messages before its first APPLY MAILBOX).
const (
	maxBufferedUpload = 1 << 20
	maxParsedBytes    = 32 << 20
)

func newStaging(sp *spool.Spool, name string, log *slog.Logger) *staging {
	return &staging{sp: sp, name: name, log: log, files: map[string]map[guid.GUID]*staged{}}
}

// path returns where g is staged on partition (see dir), and says so in
// syslog when debug_log_sync_partition_choice (3.8 on) is set, as Cyrus
// does each time it picks a reserve path, whether or not the file then
// arrives.
//
// cyrus: imap/dlist.c dlist_reserve_path (3.10.2)
func (st *staging) path(partition string, archived bool, g guid.GUID) (string, error) {
	base, d, err := st.dir(partition, archived)
	if err != nil {
		return "", err
	}
	p := filepath.Join(d, g.String())
	if st.sp.Config().DebugLogSyncPartitionChoice() {
		cyruslog.Xsyslog(st.log, cyruslog.LevelDebug, "debug_log_sync_partition_choice: chose reserve path", "dlist_reserve_path",
			"base", base, "reserve_path", p)
	}
	return p, nil
}

// dir returns the partition's directory (base) and, creating it, the
// staging directory in it: on the archive partition if archived and one
// is configured.
func (st *staging) dir(partition string, archived bool) (base, dir string, err error) {
	ok := false
	if archived {
		base, ok = st.sp.Config().ArchivePartitionDir(partition)
	}
	if !ok || base == "" {
		base, ok = st.sp.Config().PartitionDir(partition)
	}
	if !ok || base == "" {
		// Cyrus asserts here and the process dies; we refuse the command.
		return "", "", fmt.Errorf("partition %q: %w", partition, errUnknownPartition)
	}
	d := filepath.Join(base, "sync.", st.name)
	if !slices.Contains(st.dirs, d) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			cyruslog.Xsyslog(st.log, cyruslog.LevelErr, "IOERROR: failed to create directory for reserve", "dlist_reserve_path", "directory", d+"/")
			return "", "", err
		}
		st.dirs = append(st.dirs, d)
	}
	return base, d, nil
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

// receive is the FileFunc of APPLY MESSAGE. The file is written under its
// GUID only once its content has been read and checked (the decoder
// checks the SHA-1 while we read) when it is small, or else removed again
// if the upload fails or the check does, so that no staged file the
// session knows is ever partial. It is not fsynced here: the append that
// links it into a mailbox syncs it before the index names it.
//
// With REPLICATION-ARCHIVE enabled (toArchive) the file is staged on the
// partition's archive partition, but the record appended from it is not
// marked archived: Cyrus's sync_apply_message leaves the upload's
// is_archive unset, so the file is linked (or copied) to the data
// partition like any other.
//
// cyrus: imap/dlist.c reservefile; imap/sync_support.c sync_apply_message
// (3.6.1, 3.10.2)
func (st *staging) receive(partition, guidText string, size int64, r io.Reader, toArchive bool) error {
	g, err := guid.Parse(guidText)
	if err != nil {
		return err
	}
	final, err := st.path(partition, toArchive, g)
	if err != nil {
		return err
	}
	if want, ok := st.sp.Config().DebugWriteFailGUID(); ok && want == g.String() {
		cyruslog.Xsyslog(st.log, cyruslog.LevelErr, "IOERROR: failed to upload file (simulated)", "reservefile", "guid", g.String())
		return fmt.Errorf("upload of %s: %w", g, errSimulatedENOSPC)
	}
	var content []byte
	if size <= maxBufferedUpload {
		content, err = st.readSmall(size, r)
	}
	if err == nil {
		// A name left by an earlier upload of the same GUID may be hard
		// linked into a mailbox by now: replace the name, never write
		// through it. (unix.Unlink: os.Remove tries rmdir too when the
		// name is absent, as it nearly always is.)
		unix.Unlink(final)
		if err = writeStaged(final, content, size, r); err != nil {
			os.Remove(final)
		}
	}
	if err != nil {
		cyruslog.Xsyslog(st.log, cyruslog.LevelErr, "IOERROR: write failed", "reservefile", "fname", final, "error", err)
		return err
	}
	f := &staged{path: final, size: size}
	if content != nil && st.parsedBytes < maxParsedBytes {
		// A message Cyrus would refuse to parse is parsed again, and
		// refused, by the append.
		if msg, err := cache.ParseKnownGUID(content, g); err == nil {
			f.parsed = msg
			st.parsedBytes += len(msg.Entry)
		}
	}
	st.add(partition, g, f)
	return nil
}

// readSmall reads an upload of size bytes into the session's buffer,
// reading on to the end so that the decoder's SHA-1 check has been made.
func (st *staging) readSmall(size int64, r io.Reader) ([]byte, error) {
	if int64(cap(st.buf)) < size {
		st.buf = make([]byte, size)
	}
	b := st.buf[:size]
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("more than %d bytes", size)
		}
		return nil, err
	}
	return b, nil
}

// writeStaged creates path with content, or, when content is nil, the
// size bytes streamed from r, and starts its writeback.
func writeStaged(path string, content []byte, size int64, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n := int64(len(content))
	if content != nil {
		_, err = f.Write(content)
	} else {
		n, err = io.Copy(f, r)
	}
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
	return err
}

// takeParsed returns f's parsed entry once, freeing its share of the
// budget: a second append of the same file parses it again.
func (st *staging) takeParsed(f *staged) *cache.Message {
	msg := f.parsed
	if msg != nil {
		f.parsed = nil
		st.parsedBytes -= len(msg.Entry)
	}
	return msg
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
	st.parsedBytes = 0
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
