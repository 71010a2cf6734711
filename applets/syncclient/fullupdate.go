package syncclient

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// fullUpdate is Cyrus's mailbox_full_update: it reads the replica's whole
// mailbox (GET FULLMAILBOX), opens the master's mailbox for writing and
// reconciles the two record by record — a dry pass that fetches the
// message files only the replica has (GET FETCH), then the pass that
// changes the master: records more recent on the replica are taken over,
// others get a new modseq so that the next APPLY carries them, replica
// messages above the master's LAST_UID are copied back under their UID,
// and a split brain (two messages at one UID) is undone by giving both a
// new UID on the master (the replica's copy is fetched, the master's
// copied). The master is committed, then the replica's records that were
// copied back or purged on the master are expunged (APPLY EXPUNGE); the
// caller then sends the mailbox again.
//
// cyrus: imap/sync_support.c mailbox_full_update (3.6.1)
func (s *syncer) fullUpdate(ctx context.Context, name string) error {
	s.action("FULLMAILBOX %s", name)
	remote, err := s.c.GetFullMailbox(ctx, name)
	if err != nil {
		s.logNo("FULLMAILBOX", err)
		return err
	}
	if remote == nil {
		return fmt.Errorf("%s: %w", name, spool.ErrNotFound)
	}
	w, err := s.sp.OpenMailboxWriter(ctx, name)
	if err != nil {
		return err
	}
	w.SetLogger(s.log)
	fu := &fullUpdater{s: s, w: w, remote: remote, fetched: map[guid.GUID]*os.File{}}
	defer fu.cleanup()
	expunge, err := fu.run(ctx)
	changed, cerr := w.Commit()
	if cerr != nil {
		return cerr
	}
	if changed {
		s.logMailbox(name)
	}
	if len(expunge) > 0 {
		e := &protocol.ApplyExpunge{MboxName: name, UniqueID: w.Entry().UniqueID, UIDs: expunge}
		if s.do(ctx, e) != nil {
			cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "SYNCERROR: failed to expunge in cleanup", "mailbox_full_update", "name", name)
		}
	}
	return err
}

// fullUpdater holds one full update's state.
type fullUpdater struct {
	s      *syncer
	w      *spool.MailboxWriter
	remote *protocol.Mailbox
	// fetched holds the message files fetched from the replica, by GUID.
	fetched map[guid.GUID]*os.File
	// actions are the changing pass's deferred actions, in order.
	actions []fullAction
}

// pass is one of the two walks of mailbox_update_loop over the records:
// Cyrus runs it without, then with its action list (kaction NULL or not).
type pass int

const (
	// dryPass changes no record on the master: it fetches the message
	// files the changing pass will need, so that a replica that cannot
	// send them, or a state we refuse, stops the update before that.
	dryPass pass = iota
	// changingPass changes the master and defers what needs new UIDs or
	// the replica (fullAction).
	changingPass
)

// fullAction is one entry of Cyrus's kaction list: done in order after
// the changing pass, once the master's LAST_UID covers the replica's.
type fullAction struct {
	kind actionKind
	uid  uint32
}

// actionKind is what a fullAction does with its UID.
type actionKind int

const (
	// actionExpunge (Cyrus's "EXPUNGE"): the replica's record is one the
	// master purged (cyr_expire); it is expunged on the replica.
	actionExpunge actionKind = iota
	// actionCopyBack ("COPYBACK"): the replica's message is appended to
	// the master under the next UID and expunged on the replica.
	actionCopyBack
	// actionRenumber ("RENUMBER"): the master's message is appended again
	// under the next UID and its old record expunged.
	actionRenumber
)

// later defers an action, on the changing pass only (Cyrus adds to
// kaction only when it is there).
func (fu *fullUpdater) later(p pass, kind actionKind, uid uint32) {
	if p == changingPass {
		fu.actions = append(fu.actions, fullAction{kind, uid})
	}
}

// run does both passes and the deferred actions; it returns the replica
// UIDs to expunge, also when it fails half-way (as Cyrus, whatever was
// changed is committed and the expunges are sent).
func (fu *fullUpdater) run(ctx context.Context) ([]uint32, error) {
	s, w, remote := fu.s, fu.w, fu.remote
	name := w.Name()
	h := w.Header()
	if h.UIDValidity < remote.UIDValidity {
		cyruslog.Xsyslog(s.log, cyruslog.LevelNotice, "SYNCNOTICE: uidvalidity higher on replica, updating", "mailbox_full_update",
			"mailbox", name, "olduidvalidity", h.UIDValidity, "newuidvalidity", remote.UIDValidity)
		w.SetUIDValidity(remote.UIDValidity)
	}
	if h.HighestModseq < remote.HighestModseq {
		cyruslog.Xsyslog(s.log, cyruslog.LevelNotice, "SYNCNOTICE: highestmodseq higher on replica, updating", "mailbox_full_update",
			"mailbox", name, "oldhighestmodseq", h.HighestModseq, "newhighestmodseq", remote.HighestModseq+1)
		w.SetHighestModseq(remote.HighestModseq)
	}
	if err := fu.loop(ctx, dryPass); err != nil {
		cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "SYNCNOTICE: failed to prepare update", "mailbox_full_update",
			"mailbox", name, "error", errText(err))
		return nil, err
	}
	if remote.FolderModseq > w.Entry().FolderModseq {
		// Cyrus rewrites the mailboxes.db entry with the replica's
		// FOLDERMODSEQ; our spool writer does not write mailboxes.db yet.
		return nil, fmt.Errorf("%s: FOLDERMODSEQ %d higher on the replica (master %d): %w",
			name, remote.FolderModseq, w.Entry().FolderModseq, spool.ErrUnsupported)
	}
	if err := fu.mailboxAnnotations(); err != nil {
		return nil, err
	}
	err := fu.loop(ctx, changingPass)
	var expunge []uint32
	if err == nil {
		w.RaiseLastUID(remote.LastUID)
	}
	for _, a := range fu.actions {
		if err != nil {
			break
		}
		switch a.kind {
		case actionExpunge:
			expunge = append(expunge, a.uid)
		case actionCopyBack:
			if err = fu.copyRemote(a.uid); err == nil {
				expunge = append(expunge, a.uid)
			}
		case actionRenumber:
			_, err = w.AppendCopy(a.uid)
		}
	}
	return expunge, err
}

// loop is mailbox_update_loop: master and replica records walked by UID,
// on pass p.
//
// cyrus: imap/sync_support.c mailbox_update_loop (3.6.1)
func (fu *fullUpdater) loop(ctx context.Context, p pass) error {
	s, w, remote := fu.s, fu.w, fu.remote
	name := w.Name()
	act := p == changingPass
	master := append([]index.Record(nil), w.Records()...)
	rem := remote.Records
	i, j := 0, 0
	for i < len(master) || j < len(rem) {
		switch {
		case i < len(master) && j < len(rem):
			mp := &master[i]
			rp, rannots, err := fu.parseUpload(&rem[j])
			if err != nil {
				return err
			}
			switch {
			case rp.UID == mp.UID:
				if err := fu.compare(ctx, mp, &rp, rannots, p); err != nil {
					return err
				}
				i, j = i+1, j+1
			case rp.UID > mp.UID:
				if !mp.Expunged() {
					cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "SYNCNOTICE: record only exists on master", "mailbox_update_loop",
						"mailbox", name, "uid", mp.UID, "guid", mp.GUID)
					fu.renumber(mp, p)
				}
				i++
			default:
				if !rp.Expunged() {
					if act {
						cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "SYNCNOTICE: record only exists on replica", "mailbox_update_loop",
							"mailbox", name, "uid", rp.UID, "guid", rp.GUID)
					}
					if err := fu.copyBack(ctx, &rp, rannots, p); err != nil {
						return err
					}
				}
				j++
			}
		case i < len(master):
			mp := &master[i]
			switch {
			case mp.UID <= remote.LastUID:
				fu.renumber(mp, p)
			case mp.Modseq <= remote.HighestModseq && act:
				cyruslog.Xsyslog(s.log, cyruslog.LevelNotice, "SYNCNOTICE: bumping modseq", "mailbox_update_loop",
					"mailbox", name, "record", mp.UID)
				cur, _ := w.Record(mp.UID)
				if err := w.Rewrite(cur); err != nil {
					return err
				}
			}
			i++
		default:
			rp, rannots, err := fu.parseUpload(&rem[j])
			if err != nil {
				return err
			}
			if act {
				cyruslog.Xsyslog(s.log, cyruslog.LevelNotice, "SYNCNOTICE: record only exists on replica", "mailbox_update_loop",
					"mailbox", name, "uid", rp.UID)
			}
			if err := fu.copyBack(ctx, &rp, rannots, p); err != nil {
				return err
			}
			j++
		}
	}
	return nil
}

// parseUpload is parse_upload: a replica record in the master's terms —
// flags as bits (user flags get a slot in the master's cyrus.header, as
// in Cyrus, even on the dry pass), CID, savedate and createdmodseq from
// their pseudo-annotations, the other annotations returned.
//
// cyrus: imap/sync_support.c parse_upload, sync_getflags, decode_annotations (3.6.1)
func (fu *fullUpdater) parseUpload(r *protocol.Record) (index.Record, []protocol.ListAnnotation, error) {
	rec, annots, err := r.ParseUpload(fu.w, fu.w.Header().MinorVersion, func(e error) { fu.s.log.Error(e.Error()) })
	if err != nil {
		fu.s.log.Error(err.Error())
	}
	return rec, annots, err
}

// compare is compare_one_record for one UID present on both sides.
//
// cyrus: imap/sync_support.c compare_one_record (3.6.1)
func (fu *fullUpdater) compare(ctx context.Context, mp, rp *index.Record, rannots []protocol.ListAnnotation, p pass) error {
	s, w := fu.s, fu.w
	if mp.Expunged() && rp.Expunged() {
		return nil
	}
	if mp.GUID != rp.GUID {
		cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "SYNCERROR: guid mismatch", "compare_one_record",
			"mailbox", w.Name(), "uid", mp.UID, "rguid", rp.GUID, "mguid", mp.GUID)
		// Both need new UIDs; always the lower GUID first.
		if bytes.Compare(mp.GUID[:], rp.GUID[:]) > 0 {
			if err := fu.copyBack(ctx, rp, rannots, p); err != nil {
				return err
			}
			fu.renumber(mp, p)
			return nil
		}
		fu.renumber(mp, p)
		return fu.copyBack(ctx, rp, rannots, p)
	}
	if !sameAnnotList(fu.masterAnnots(mp.UID), rannots) {
		// Cyrus would write the winner's annotations into
		// cyrus.annotations; refused on both passes, before any change.
		return fu.annotationsDiffer(mp.UID)
	}
	if sameIndexRecord(mp, rp) {
		return nil
	}
	cur, _ := w.Record(mp.UID)
	switch {
	case cur.Expunged():
		// the rewrite lifts the modseq so that the expunge sticks
	case rp.Expunged():
		cur.InternalFlags |= index.FlagExpunged
	case rp.Modseq > cur.Modseq && rp.LastUpdated >= cur.LastUpdated:
		fu.logMismatch(&cur, rp)
		cur.SystemFlags = rp.SystemFlags
		cur.InternalFlags = cur.InternalFlags&^index.FlagExpunged | rp.InternalFlags&index.FlagExpunged
		cur.CID = rp.CID
		cur.UserFlags = rp.UserFlags
	}
	if p == dryPass {
		return nil
	}
	// no "snoozed" annotation (they are equal and refused otherwise)
	cur.InternalFlags &^= index.FlagSnoozed
	return w.Rewrite(cur)
}

// annotationsDiffer refuses taking over a replica's message annotations,
// which needs writing cyrus.annotations.
func (fu *fullUpdater) annotationsDiffer(uid uint32) error {
	return fmt.Errorf("%s uid %d: message annotations more recent on the replica: %w",
		fu.w.Name(), uid, spool.ErrUnsupported)
}

// sameIndexRecord is compare_one_record's field comparison.
func sameIndexRecord(mp, rp *index.Record) bool {
	return mp.Modseq == rp.Modseq && mp.LastUpdated == rp.LastUpdated && mp.InternalDate == rp.InternalDate &&
		mp.SystemFlags == rp.SystemFlags && mp.InternalFlags&index.FlagExpunged == rp.InternalFlags&index.FlagExpunged &&
		mp.CID == rp.CID && mp.SaveDate == rp.SaveDate && mp.CreatedModseq == rp.CreatedModseq &&
		mp.UserFlags == rp.UserFlags
}

// masterAnnots are the stored, non-deleted annotations of a master record
// in the sync form.
func (fu *fullUpdater) masterAnnots(uid uint32) []protocol.ListAnnotation {
	return protocol.ListAnnotationsFromSpool(fu.w.Annotations(uid))
}

// sameAnnotList is diff_annotations == 0: entries, userids and values.
func sameAnnotList(a, b []protocol.ListAnnotation) bool {
	return sameSet(a, b, func(x protocol.ListAnnotation) [3]string { return [3]string{x.Entry, x.UserID, x.Data} })
}

func sameSet[T any, K comparable](a, b []T, key func(T) K) bool {
	if len(a) != len(b) {
		return false
	}
	n := map[K]int{}
	for _, x := range a {
		n[key(x)]++
	}
	for _, x := range b {
		if n[key(x)] == 0 {
			return false
		}
		n[key(x)]--
	}
	return true
}

// renumber is renumber_one_record.
func (fu *fullUpdater) renumber(mp *index.Record, p pass) {
	if !mp.Expunged() {
		fu.later(p, actionRenumber, mp.UID)
	}
}

// copyBack is copyback_one_record.
//
// cyrus: imap/sync_support.c copyback_one_record (3.6.1)
func (fu *fullUpdater) copyBack(ctx context.Context, rp *index.Record, rannots []protocol.ListAnnotation, p pass) error {
	if rp.Expunged() {
		return nil
	}
	h := fu.w.Header()
	if rp.UID <= h.LastUID {
		if rp.Modseq < h.DeletedModseq {
			// stale: the master purged it (cyr_expire)
			fu.later(p, actionExpunge, rp.UID)
			return nil
		}
		if len(rannots) > 0 {
			return fu.annotationsDiffer(rp.UID)
		}
		if err := fu.fetch(ctx, rp); err != nil {
			return err
		}
		fu.later(p, actionCopyBack, rp.UID)
		return nil
	}
	if len(rannots) > 0 {
		return fu.annotationsDiffer(rp.UID)
	}
	if err := fu.fetch(ctx, rp); err != nil {
		return err
	}
	if p == dryPass {
		return nil
	}
	return fu.append(*rp)
}

// copyRemote is copy_remote: the replica's record of uid appended under
// the next UID.
//
// cyrus: imap/sync_support.c copy_remote (3.6.1)
func (fu *fullUpdater) copyRemote(uid uint32) error {
	for i := range fu.remote.Records {
		if fu.remote.Records[i].UID != uid {
			continue
		}
		rp, rannots, err := fu.parseUpload(&fu.remote.Records[i])
		if err != nil {
			return err
		}
		if len(rannots) > 0 {
			return fu.annotationsDiffer(uid)
		}
		rp.UID = fu.w.Header().LastUID + 1
		return fu.append(rp)
	}
	cyruslog.Xsyslog(fu.s.log, cyruslog.LevelErr, "IOERROR: couldn't find index record", "copy_remote", "uid", uid)
	return fmt.Errorf("%s uid %d: %w", fu.w.Name(), uid, spool.ErrNotFound)
}

// append is sync_append_copyfile with a file fetched from the replica.
func (fu *fullUpdater) append(rp index.Record) error {
	f := fu.fetched[rp.GUID]
	if f == nil {
		cyruslog.Xsyslog(fu.s.log, cyruslog.LevelErr, "IOERROR: parse failed", "sync_append_copyfile",
			"guid", rp.GUID, "error", "System I/O error")
		return fmt.Errorf("%s uid %d: message %s was not fetched", fu.w.Name(), rp.UID, rp.GUID)
	}
	ce, err := buildCache(f)
	if err != nil {
		return fmt.Errorf("%s uid %d: %w", fu.w.Name(), rp.UID, err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	return fu.w.AppendMessage(rp, f, ce)
}

// fetch is fetch_file: the replica's message file into a temporary file
// (once per GUID).
//
// cyrus: imap/sync_support.c fetch_file (3.6.1)
func (fu *fullUpdater) fetch(ctx context.Context, rp *index.Record) error {
	if fu.fetched[rp.GUID] != nil {
		fu.s.log.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("trying to get already uploaded %d: %s", rp.UID, rp.GUID))
		return nil
	}
	f, err := os.CreateTemp("", "cyrepl-fetch-")
	if err != nil {
		return err
	}
	os.Remove(f.Name()) // gone with the descriptor
	e := fu.w.Entry()
	m, err := fu.s.c.Fetch(ctx, &protocol.GetFetch{MboxName: e.Name, Partition: e.Partition, UniqueID: e.UniqueID,
		GUID: rp.GUID, UID: rp.UID}, f)
	if err == nil && uint64(m.Size) != rp.Size {
		err = fmt.Errorf("replica sent %d bytes for uid %d, record says %d", m.Size, rp.UID, rp.Size)
	}
	if err != nil {
		f.Close()
		fu.s.logNo("FETCH", err)
		cyruslog.Xsyslog(fu.s.log, cyruslog.LevelErr, "IOERROR: parse response failed", "fetch_file", "error", errText(err))
		return err
	}
	fu.fetched[rp.GUID] = f
	return nil
}

func (fu *fullUpdater) cleanup() {
	for _, f := range fu.fetched {
		f.Close()
	}
	fu.w.Abort() // releases the locks if Commit did not run
}

// mailboxAnnotations checks the mailbox-level half of a full update:
// Cyrus's apply_annotations writes the winner's values wherever the lists
// differ, which needs writing annotations.db; identical lists need
// nothing.
func (fu *fullUpdater) mailboxAnnotations() error {
	local, err := fu.s.sp.MailboxAnnotations(fu.w.Entry().UniqueID, fu.s.ns.UserIDOf(fu.w.Name()))
	if err != nil {
		return err
	}
	if sameAnnotList(protocol.ListAnnotationsFromSpool(local), fu.remote.Annotations) {
		return nil
	}
	return fmt.Errorf("%s: mailbox annotations differ on the replica: %w", fu.w.Name(), spool.ErrUnsupported)
}

// logMismatch is log_mismatch("more recent on replica"): three NOTICE
// lines. Cyrus's make_flags overwrites its buffer for each flag, so only
// the last flag set shows; so here.
//
// cyrus: imap/sync_support.c log_mismatch, log_record, make_flags (3.6.1)
func (fu *fullUpdater) logMismatch(mp, rp *index.Record) {
	log := fu.s.log
	name := fu.w.Name()
	log.Log(context.Background(), cyruslog.LevelNotice,
		fmt.Sprintf("SYNCNOTICE: record mismatch with replica: %s more recent on replica", name))
	line := func(who string, r *index.Record) {
		log.Log(context.Background(), cyruslog.LevelNotice, fmt.Sprintf(
			"SYNCNOTICE: %s uid:%d modseq:%d last_updated:%d internaldate:%d flags:(%s) cid:%016x",
			who, r.UID, r.Modseq, r.LastUpdated, r.InternalDate, fu.lastFlag(r), r.CID))
	}
	line("master", mp)
	line("replica", rp)
}

// lastFlag is what make_flags leaves in its static buffer: each flag is
// printed over the previous one, with a leading space unless it is the
// first, so the last set flag shows (" \Seen"); with no flag the buffer
// keeps the previous call's text.
func (fu *fullUpdater) lastFlag(r *index.Record) string {
	sep := ""
	put := func(name string) {
		fu.s.makeFlagsBuf = sep + name
		sep = " "
	}
	for _, f := range []struct {
		set  bool
		name string
	}{
		{r.SystemFlags&index.FlagDeleted != 0, `\Deleted`}, {r.SystemFlags&index.FlagAnswered != 0, `\Answered`},
		{r.SystemFlags&index.FlagFlagged != 0, `\Flagged`}, {r.SystemFlags&index.FlagDraft != 0, `\Draft`},
		{r.Expunged(), `\Expunged`}, {r.SystemFlags&index.FlagSeen != 0, `\Seen`},
	} {
		if f.set {
			put(f.name)
		}
	}
	names := fu.w.UserFlags()
	for _, n := range r.UserFlagNumbers() {
		if n < len(names) && names[n] != "" {
			put(names[n])
		}
	}
	return fu.s.makeFlagsBuf
}
