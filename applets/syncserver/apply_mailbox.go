package syncserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// The MAILBOX keys APPLY MAILBOX requires of a mailbox that is not an
// intermediate or a tombstone (HIGHESTMODSEQ is required of every one).
//
// cyrus: imap/sync_support.c sync_apply_mailbox (3.6.1)
const applyRequired = protocol.KeyPartition | protocol.KeyLastUID | protocol.KeyRecentUID | protocol.KeyRecentTime |
	protocol.KeyLastAppendDate | protocol.KeyPOP3LastLogin | protocol.KeyUIDValidity | protocol.KeyACL |
	protocol.KeyOptions

// applyMailbox is APPLY MAILBOX / LOCAL_MAILBOX: bring one replica mailbox
// to the master's state — creating it if needed, refusing (CHECKSUM,
// CHANGED, MOVED) when the replica has diverged so that the client falls
// back to a full update, else taking the master's ACL, annotations,
// records and header fields silently (the master's modseqs kept) and
// checking the resulting CRCs against the master's.
//
// cyrus: imap/sync_support.c sync_apply_mailbox (3.6.1)
func (r *replica) applyMailbox(ctx context.Context, s *protocol.Session, q *protocol.ApplyMailbox) error {
	m := q.Mailbox
	mbtype := spool.ParseMBType(m.Type)
	if mbtype.Kind() == spool.KindSieve && !s.SieveMailbox {
		return remote(protocol.CodeBadParameters) // #sieve travels by *SIEVE* without SIEVE-MAILBOX
	}
	if !m.Present.Has(protocol.KeyHighestModseq) {
		return remote(protocol.CodeBadParameters)
	}
	if mbtype&(spool.TypeIntermediate|spool.TypeDeleted) != 0 {
		return r.applyPlaceholder(ctx, m, mbtype)
	}
	if !m.Present.Has(applyRequired) || m.Records == nil {
		return remote(protocol.CodeBadParameters)
	}
	w, err := r.openForApply(ctx, m, mbtype, s)
	if err != nil {
		if !isRemote(err) {
			r.log.Error(fmt.Sprintf("Failed to open mailbox %s to update: %s", m.Name, errorText(err)), "mailbox", m.Name)
		}
		return err
	}
	a := &mailboxApply{r: r, w: w, m: m, mbtype: mbtype}
	err = a.run(ctx)
	if a.w != nil {
		a.w.Abort() // not committed: nothing of this command is kept
	}
	return err
}

// isRemote tells whether err is already the NO to send.
func isRemote(err error) bool {
	var re *protocol.RemoteError
	return errors.As(err, &re)
}

// openForApply opens the mailbox for writing, creating it when it does
// not exist (with highestmodseq 0, so that every record is a future
// change), or replacing it when it has another uniqueid and was never
// used (or in force mode).
//
// cyrus: imap/sync_support.c sync_apply_mailbox (3.6.1)
func (r *replica) openForApply(ctx context.Context, m *protocol.Mailbox, mbtype spool.MBType, s *protocol.Session) (*spool.MailboxWriter, error) {
	w, err := r.sp.OpenMailboxWriter(ctx, m.Name)
	if errors.Is(err, spool.ErrNotFound) {
		if e, lerr := r.sp.LookupUniqueID(m.UniqueID); lerr == nil && !e.Deleted() && e.Name != m.Name {
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCNOTICE: mailbox uniqueid already in use", "sync_apply_mailbox",
				"mailbox", m.Name, "uniqueid", m.UniqueID, "usedby", e.Name)
			return nil, remote(protocol.CodeMailboxMoved)
		}
		return r.createForApply(ctx, m, mbtype)
	}
	if err != nil {
		return nil, err
	}
	if id := w.Entry().UniqueID; id != m.UniqueID {
		if !r.forced() && w.Header().LastUID != 0 {
			w.Abort()
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCERROR: mailbox uniqueid changed - retry", "sync_apply_mailbox",
				"mailbox", m.Name, "origuniqueid", id, "newuniqueid", m.UniqueID)
			return nil, remote(protocol.CodeMailboxMoved)
		}
		cyruslog.Xsyslog(r.log, cyruslog.LevelNotice, "SYNCNOTICE: mailbox uniqueid changed - replacing", "sync_apply_mailbox",
			"mailbox", m.Name, "origuniqueid", id, "newuniqueid", m.UniqueID)
		w.Abort()
		if err := r.deleteMailbox(ctx, m.Name); err != nil {
			return nil, err
		}
		return r.createForApply(ctx, m, mbtype)
	}
	return w, nil
}
