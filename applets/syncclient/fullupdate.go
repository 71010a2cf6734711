package syncclient

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// fullUpdate is Cyrus's mailbox_full_update as far as it needs no change
// to the master's spool: it reads the replica's whole mailbox (GET
// FULLMAILBOX), walks both record lists by UID as Cyrus does, and when
// the only repairs are on the replica — records the master has purged
// (cyr_expire) while the replica still shows them — it sends APPLY
// EXPUNGE for those, after which the caller sends the mailbox again in
// repeat mode. Anything Cyrus would fix by writing the master (a copy
// back, a renumbering, newer flags or a higher HIGHESTMODSEQ or
// UIDVALIDITY on the replica, split brain) is logged as Cyrus logs it and
// ends in errCopyBack.
//
// Where the master's record differs from the replica's but is newer than
// the replica's HIGHESTMODSEQ, Cyrus rewrites it (bumping its modseq) so
// that the next APPLY carries it; the repeat APPLY carries it anyway, so
// we leave the master alone.
//
// cyrus: imap/sync_support.c mailbox_full_update, mailbox_update_loop,
// compare_one_record, copyback_one_record, renumber_one_record (3.6.1)
func (s *syncer) fullUpdate(ctx context.Context, name string) error {
	s.action("FULLMAILBOX %s", name)
	remote, err := s.c.GetFullMailbox(ctx, name)
	if err != nil {
		s.logNo("FULLMAILBOX", err)
		return err
	}
	m, err := s.sp.Snapshot(ctx, name)
	if err != nil {
		return err
	}
	var why []string
	if remote.UIDValidity > m.UIDValidity {
		s.xsyslog(levelNotice, "SYNCNOTICE: uidvalidity higher on replica, updating", "mailbox_full_update",
			"mailbox=<%s> olduidvalidity=<%d> newuidvalidity=<%d>", name, m.UIDValidity, remote.UIDValidity)
		why = append(why, "higher UIDVALIDITY")
	}
	if remote.HighestModseq > m.HighestModseq {
		s.xsyslog(levelNotice, "SYNCNOTICE: highestmodseq higher on replica, updating", "mailbox_full_update",
			"mailbox=<%s> oldhighestmodseq=<%d> newhighestmodseq=<%d>", name, m.HighestModseq, remote.HighestModseq+1)
		why = append(why, "higher HIGHESTMODSEQ")
	}
	if remote.FolderModseq > m.FolderModseq {
		why = append(why, "higher FOLDERMODSEQ")
	}
	if remote.LastUID > m.LastUID {
		why = append(why, "higher LAST_UID")
	}
	w := &fullWalk{s: s, m: m, remote: remote}
	w.walk()
	why = append(why, w.why...)
	if len(why) > 0 {
		s.log.Error(fmt.Sprintf("SYNCERROR: full update of %s needs changes to the master (%s): %v",
			name, strings.Join(why, ", "), errCopyBack))
		return fmt.Errorf("%s: %w", name, errCopyBack)
	}
	if len(w.expunge) == 0 {
		return nil
	}
	err = s.do(ctx, &protocol.ApplyExpunge{MboxName: name, UniqueID: m.UniqueID, UIDs: w.expunge})
	if err != nil {
		// As in Cyrus, logged and otherwise ignored: the repeat APPLY
		// MAILBOX that follows fails if it mattered.
		s.xsyslog(slog.LevelError, "SYNCERROR: failed to expunge in cleanup", "mailbox_full_update", "name=<%s>", name)
	}
	return nil
}

// fullWalk is one pass of mailbox_update_loop over the master's and the
// replica's records, collecting the replica UIDs to expunge and the
// reasons a copy back would be needed.
type fullWalk struct {
	s       *syncer
	m       *spool.Mailbox
	remote  *protocol.Mailbox
	expunge []uint32
	why     []string
}

func (w *fullWalk) walk() {
	loc, rem := w.m.Records, w.remote.Records
	i, j := 0, 0
	for i < len(loc) || j < len(rem) {
		switch {
		case i < len(loc) && j < len(rem) && loc[i].UID == rem[j].UID:
			w.compare(&loc[i], &rem[j])
			i, j = i+1, j+1
		case i < len(loc) && j < len(rem) && rem[j].UID > loc[i].UID:
			if !loc[i].Expunged() {
				w.s.xsyslog(slog.LevelError, "SYNCNOTICE: record only exists on master", "mailbox_update_loop",
					"mailbox=<%s> uid=<%d> guid=<%s>", w.m.Name, loc[i].UID, loc[i].GUID)
				w.why = append(w.why, fmt.Sprintf("renumber uid %d", loc[i].UID))
			}
			i++
		case i < len(loc) && j < len(rem):
			if !remoteExpunged(&rem[j]) {
				w.s.xsyslog(slog.LevelError, "SYNCNOTICE: record only exists on replica", "mailbox_update_loop",
					"mailbox=<%s> uid=<%d> guid=<%s>", w.m.Name, rem[j].UID, rem[j].GUID)
				w.copyBack(&rem[j])
			}
			j++
		case i < len(loc):
			r := &loc[i]
			switch {
			case r.UID <= w.remote.LastUID:
				if !r.Expunged() {
					w.why = append(w.why, fmt.Sprintf("renumber uid %d", r.UID))
				}
			case r.Modseq <= w.remote.HighestModseq:
				w.s.xsyslog(levelNotice, "SYNCNOTICE: bumping modseq", "mailbox_update_loop",
					"mailbox=<%s> record=<%d>", w.m.Name, r.UID)
				w.why = append(w.why, fmt.Sprintf("bump modseq of uid %d", r.UID))
			}
			i++
		default:
			w.s.xsyslog(levelNotice, "SYNCNOTICE: record only exists on replica", "mailbox_update_loop",
				"mailbox=<%s> uid=<%d>", w.m.Name, rem[j].UID)
			w.copyBack(&rem[j])
			j++
		}
	}
}

// copyBack is copyback_one_record: a stale replica record (one the master
// purged) is expunged on the replica; any other would be copied back.
func (w *fullWalk) copyBack(rp *protocol.Record) {
	switch {
	case remoteExpunged(rp):
	case rp.UID <= w.m.LastUID && rp.Modseq < w.m.IndexHeader.DeletedModseq:
		w.expunge = append(w.expunge, rp.UID)
	default:
		w.why = append(w.why, fmt.Sprintf("copy back uid %d", rp.UID))
	}
}

// compare is compare_one_record for one UID on both sides.
func (w *fullWalk) compare(mp *spool.Record, rp *protocol.Record) {
	if mp.Expunged() && remoteExpunged(rp) {
		return
	}
	if mp.GUID != rp.GUID {
		w.s.xsyslog(slog.LevelError, "SYNCERROR: guid mismatch", "compare_one_record",
			"mailbox=<%s> uid=<%d> rguid=<%s> mguid=<%s>", w.m.Name, mp.UID, rp.GUID, mp.GUID)
		w.why = append(w.why, fmt.Sprintf("split brain at uid %d", mp.UID))
		return
	}
	local := protocol.RecordFromSpool(mp, w.m.IndexVersion)
	if sameRecord(&local, rp) {
		return
	}
	switch {
	case mp.Expunged():
		// Expunged here: the master's record wins once sent.
	case remoteExpunged(rp):
		w.why = append(w.why, fmt.Sprintf("uid %d expunged on the replica only", mp.UID))
		return
	case rp.Modseq > mp.Modseq && rp.LastUpdated >= mp.LastUpdated:
		w.logMismatch(mp, rp)
		w.why = append(w.why, fmt.Sprintf("uid %d more recent on the replica", mp.UID))
		return
	}
	if mp.Modseq <= w.remote.HighestModseq {
		// Cyrus rewrites it to lift its modseq above the replica's.
		w.why = append(w.why, fmt.Sprintf("bump modseq of uid %d", mp.UID))
	}
}

// remoteExpunged tells whether a replica record carries \Expunged.
func remoteExpunged(r *protocol.Record) bool {
	return slices.ContainsFunc(r.Flags, func(f string) bool { return strings.EqualFold(f, `\Expunged`) })
}

// sameRecord is compare_one_record's "any differences?": modseq, times,
// flags (system, expunged, user) and annotations (pseudo-annotations for
// CID, SAVEDATE and CREATEDMODSEQ included), each as a set.
func sameRecord(a, b *protocol.Record) bool {
	if a.Modseq != b.Modseq || a.LastUpdated != b.LastUpdated || a.InternalDate != b.InternalDate {
		return false
	}
	return sameSet(a.Flags, b.Flags, func(f string) string { return strings.ToLower(f) }) &&
		sameSet(a.Annotations, b.Annotations, func(x protocol.Annot) [3]string { return [3]string{x.Entry, x.UserID, x.Data} })
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

// logMismatch is log_mismatch("more recent on replica"): three NOTICE
// lines. Cyrus's make_flags overwrites its buffer for each flag, so only
// the last flag set shows; so here.
//
// cyrus: imap/sync_support.c log_mismatch, log_record, make_flags (3.6.1)
func (w *fullWalk) logMismatch(mp *spool.Record, rp *protocol.Record) {
	w.s.log.Log(context.Background(), levelNotice,
		fmt.Sprintf("SYNCNOTICE: record mismatch with replica: %s more recent on replica", w.m.Name))
	var rcid uint64
	for _, a := range rp.Annotations {
		if a.Entry == spool.AnnotThrID {
			fmt.Sscanf(a.Data, "%x", &rcid)
		}
	}
	line := func(who string, uid uint32, modseq uint64, updated, internal int64, flags []string, cid uint64) {
		last := ""
		if len(flags) > 0 {
			last = flags[len(flags)-1]
		}
		w.s.log.Log(context.Background(), levelNotice, fmt.Sprintf(
			"SYNCNOTICE: %s uid:%d modseq:%d last_updated:%d internaldate:%d flags:(%s) cid:%016x",
			who, uid, modseq, updated, internal, last, cid))
	}
	line("master", mp.UID, mp.Modseq, mp.LastUpdated, mp.InternalDate, mp.FlagNames(), mp.CID)
	line("replica", rp.UID, rp.Modseq, rp.LastUpdated, rp.InternalDate, rp.Flags, rcid)
}
