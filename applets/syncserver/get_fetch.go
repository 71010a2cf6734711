package syncserver

import (
	"io"
	"os"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// getFetch is GET FETCH: the message file of a record, for the client's
// copy back. Like Cyrus it takes no lock (files never change) and looks in
// the data path by uniqueid, the archive path by uniqueid, then both by
// name (legacy layout). The file's size and SHA-1 are checked first: a
// mismatch is sent as MESSAGE NIL.
//
// cyrus: imap/sync_support.c sync_get_message; imap/dlist.c printfile
// (3.6.1)
func (r *replica) getFetch(q *protocol.GetFetch, out *reply) error {
	byID := &spool.Entry{Name: q.MboxName, Partition: q.Partition, UniqueID: q.UniqueID}
	byName := &spool.Entry{Name: q.MboxName, Partition: q.Partition, Type: spool.TypeLegacyDirs}
	var path string
	for _, c := range []struct {
		e        *spool.Entry
		archived bool
	}{{byID, false}, {byID, true}, {byName, false}, {byName, true}} {
		p, err := r.sp.MessagePath(c.e, q.UID, c.archived)
		if err != nil {
			return remote(protocol.CodeMailboxNonexistent)
		}
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		return remote(protocol.CodeMailboxNonexistent)
	}
	msg := &protocol.Message{Partition: q.Partition, GUID: q.GUID}
	f, err := os.Open(path)
	if err != nil {
		cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: Failed to read file", "printfile", "sval", path)
		out.add(&protocol.Message{Nil: true})
		return nil
	}
	// The reply is written after we return: the file stays open until the
	// session closes it with the reply (closeAfter).
	g, err := guid.FromReader(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	st, serr := f.Stat()
	if err != nil || serr != nil || g != q.GUID {
		f.Close()
		cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: GUID mismatch", "printfile", "guid", q.GUID.String())
		out.add(&protocol.Message{Nil: true})
		return nil
	}
	msg.Size, msg.Body = st.Size(), &closingReader{f}
	out.add(msg)
	return nil
}

// closingReader closes its file once read to the end.
type closingReader struct{ f *os.File }

func (c *closingReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err != nil {
		c.f.Close()
	}
	return n, err
}
