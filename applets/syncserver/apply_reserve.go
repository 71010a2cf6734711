package syncserver

import (
	"context"
	"errors"
	"os"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// applyReserve is APPLY RESERVE: the GUIDs the client is about to append
// are looked for in the named local mailboxes (those on the partition
// first); each one found, its SHA-1 checked, is hard-linked into the
// staging area; the reply's MISSING item lists the others, which the
// client then uploads.
//
// cyrus: imap/sync_support.c sync_apply_reserve, reserve_folder (3.6.1)
func (r *replica) applyReserve(ctx context.Context, q *protocol.ApplyReserve, out *reply) error {
	need := map[guid.GUID]bool{}
	for _, g := range q.GUIDs {
		if r.stage.lookup(q.Partition, g) == nil {
			need[g] = true
		}
	}
	var same, other []*spool.Entry
	for _, name := range q.MboxNames {
		e, err := r.sp.LookupName(name)
		if err != nil || !e.HasFiles() {
			continue
		}
		if e.Partition == q.Partition {
			same = append(same, e)
		} else {
			other = append(other, e)
		}
	}
	for _, e := range append(same, other...) {
		if len(need) == 0 {
			break
		}
		if err := r.reserveFolder(ctx, q.Partition, e, need); err != nil {
			return err
		}
	}
	var missing []guid.GUID
	for _, g := range q.GUIDs {
		if r.stage.lookup(q.Partition, g) == nil {
			missing = append(missing, g)
		}
	}
	if len(missing) > 0 {
		out.add(&protocol.Missing{GUIDs: missing})
	}
	return nil
}

// reserveFolder stages the needed messages one mailbox has. A mailbox that
// cannot be read is skipped, as are files that fail their SHA-1 check or
// cannot be linked (logged as Cyrus logs them); only a partition we do not
// know is an error.
func (r *replica) reserveFolder(ctx context.Context, partition string, e *spool.Entry, need map[guid.GUID]bool) error {
	m, err := r.snapshot(ctx, e.Name)
	if err != nil {
		return nil
	}
	for i := range m.Records {
		rec := &m.Records[i]
		if rec.Unlinked() || !need[rec.GUID] {
			continue
		}
		src, err := r.sp.RecordPath(m, rec)
		if err != nil {
			continue
		}
		// the reserve path first, as Cyrus (its debug line even when the
		// file then proves bad)
		dst, err := r.stage.path(partition, rec.Archived(), rec.GUID)
		if errors.Is(err, errUnknownPartition) {
			return remote(protocol.CodeRemoteDenied)
		}
		if err != nil {
			return err
		}
		if g, err := guid.File(src); err != nil {
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: parse failed", "reserve_folder", "filename", src)
			continue
		} else if g != rec.GUID {
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: guid mismatch on parse", "reserve_folder", "filename", src)
			continue
		}
		os.Remove(dst)
		if err := os.Link(src, dst); err != nil {
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: link failed", "reserve_folder", "mailbox_msg_path", src, "stage_msg_path", dst)
			continue
		}
		r.stage.add(partition, rec.GUID, &staged{path: dst, size: int64(rec.Size), archived: rec.Archived()})
		delete(need, rec.GUID)
		if len(need) == 0 {
			break
		}
	}
	return nil
}
