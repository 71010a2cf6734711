package syncserver

import (
	"cmp"
	"context"
	"slices"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// annot is one annotation on either side of a merge.
type annot struct {
	entry, userid string
	value         []byte
	modseq        uint64
}

func annotOrder(a, b annot) int {
	return cmp.Or(cmp.Compare(a.entry, b.entry), cmp.Compare(a.userid, b.userid))
}

// mergeAnnotations makes the replica's annotations (local) the master's
// (remote), writing with the master's modseq: what only the master has or
// has differently is written, what only the replica has is deleted (a
// message annotation then leaves a tombstone).
//
// cyrus: imap/sync_support.c apply_annotations (local_wins 0) (3.6.1)
func mergeAnnotations(w *spool.MailboxWriter, uid uint32, local, remote []annot) error {
	slices.SortFunc(local, annotOrder)
	slices.SortFunc(remote, annotOrder)
	write := func(a annot, value []byte) error {
		return w.WriteAnnotation(spool.AnnotationWrite{UID: uid, Entry: a.entry, UserID: a.userid, Value: value,
			KeepModseq: true, Modseq: a.modseq})
	}
	i, j := 0, 0
	for i < len(local) || j < len(remote) {
		var d int
		switch {
		case i == len(local):
			d = 1
		case j == len(remote):
			d = -1
		default:
			d = annotOrder(local[i], remote[j])
		}
		var err error
		switch {
		case d < 0:
			err = write(local[i], nil)
			i++
		case d > 0:
			err = write(remote[j], remote[j].value)
			j++
		default:
			if string(local[i].value) != string(remote[j].value) {
				err = write(remote[j], remote[j].value)
			}
			i, j = i+1, j+1
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// fromWire converts the master's ANNOTATIONS items.
func fromWire(as []protocol.ListAnnotation) []annot {
	out := make([]annot, len(as))
	for i, a := range as {
		out[i] = annot{entry: a.Entry, userid: a.UserID, value: []byte(a.Data), modseq: a.Modseq}
	}
	return out
}

// live converts stored annotations, leaving out tombstones. (Cyrus's
// read_annotations takes a since_modseq and ignores it: both sides always
// compare every annotation.)
//
// cyrus: imap/sync_support.c read_annotations (3.6.1)
func live(as []spool.Annotation) []annot {
	var out []annot
	for _, a := range as {
		if a.Deleted || len(a.Value) == 0 {
			continue
		}
		out = append(out, annot{entry: a.Entry, userid: a.UserID, value: a.Value, modseq: a.Modseq})
	}
	return out
}

// applyMailboxAnnotations takes the master's mailbox annotations: they are
// not versioned, the master's set wins whole.
//
// cyrus: imap/sync_support.c sync_apply_mailbox (read_annotations,
// apply_annotations with no record) (3.6.1)
func (r *replica) applyMailboxAnnotations(_ context.Context, w *spool.MailboxWriter, m *protocol.Mailbox) error {
	e := w.Entry()
	local, err := r.sp.MailboxAnnotations(e.UniqueID, r.sp.Config().Namespace().UserIDOf(e.Name))
	if err != nil {
		return err
	}
	if err := mergeAnnotations(w, 0, live(local), fromWire(m.Annotations)); err != nil {
		return err
	}
	return w.FlushMailboxAnnotations()
}

// applyMessageAnnotations makes one message's annotations the master's
// (a just appended message has none of its own).
//
// cyrus: imap/sync_support.c sync_mailbox_compare_update,
// sync_append_copyfile (3.6.1)
func (r *replica) applyMessageAnnotations(w *spool.MailboxWriter, uid uint32, annots []protocol.ListAnnotation) error {
	return mergeAnnotations(w, uid, live(w.Annotations(uid)), fromWire(annots))
}
