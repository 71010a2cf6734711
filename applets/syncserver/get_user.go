package syncserver

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// getUser is GET USER: a MAILBOX item for each of the user's mailboxes
// (intermediates short, tombstones left out, delayed-deleted ones
// included), a QUOTA per quota root they use, then — if the user has a
// real mailbox — the user's seen state, subscriptions and, without
// SIEVE-MAILBOX, sieve scripts. An unknown user is just OK.
//
// cyrus: imap/sync_support.c sync_get_user, sync_mailbox_byentry (3.6.1)
func (r *replica) getUser(ctx context.Context, s *protocol.Session, q *protocol.GetUser, out *reply) error {
	entries, err := r.userEntries(ctx, q.UserID)
	if err != nil {
		return err
	}
	var roots []string
	exists := false
	for _, e := range entries {
		real, root, err := r.mailboxByEntry(ctx, s, e, out)
		if err != nil {
			return err
		}
		exists = exists || real
		if root != "" && !slices.Contains(roots, root) {
			roots = append(roots, root)
		}
	}
	for _, root := range roots {
		if err := r.getQuota(root, out); err != nil {
			return err
		}
	}
	if !exists {
		return nil
	}
	if err := r.getMeta(ctx, s, q.UserID, out); err != nil {
		return err
	}
	// Remove what the sieve directory holds besides live scripts'
	// bytecode and the active link (a write in a GET, as Cyrus does).
	if _, err := r.sp.CleanSieveDir(ctx, q.UserID); err != nil {
		r.log.Warn("sieve directory clean-up", "user", q.UserID, "error", err)
	}
	return nil
}

// userEntries lists a user's mailboxes.db entries as Cyrus's
// mboxlist_usermboxtree with MBOXTREE_DELETED|MBOXTREE_INTERMEDIATES visits
// them: INBOX and everything below it, then the user's delayed-delete
// mailboxes.
//
// cyrus: imap/mboxlist.c mboxlist_usermboxtree (3.6.1)
func (r *replica) userEntries(ctx context.Context, userid string) ([]*spool.Entry, error) {
	entries, err := r.sp.UserMailboxes(ctx, userid)
	if err != nil {
		return nil, err
	}
	ns := r.sp.Config().Namespace()
	inbox := ns.UserInbox(userid)
	prefix := ns.DeletedPrefix + "." + inbox + "."
	if dom, rest, ok := strings.Cut(inbox, "!"); ok {
		prefix = dom + "!" + ns.DeletedPrefix + "." + rest + "."
	}
	list, err := r.sp.MailboxList()
	if err != nil {
		return nil, err
	}
	for e, err := range list.EntriesWithPrefix(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		if m := ns.ParseInternal(e.Name); m.Deleted != 0 && m.UserID() == userid {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// mailboxByEntry sends the MAILBOX item of one entry. It reports whether
// the entry is a real mailbox and its quota root.
//
// cyrus: imap/sync_support.c sync_mailbox_byentry (3.6.1)
func (r *replica) mailboxByEntry(ctx context.Context, s *protocol.Session, e *spool.Entry, out *reply) (real bool, quotaRoot string, err error) {
	switch {
	case e.Type.Kind() == spool.KindSieve && !s.SieveMailbox:
		return false, "", nil // travels by the *SIEVE* commands
	case e.Deleted():
		return false, "", nil
	case e.Intermediate():
		out.add(intermediateItem(e))
		return false, "", nil
	}
	m, err := r.snapshot(ctx, e.Name)
	if errors.Is(err, spool.ErrNotFound) {
		return true, "", nil // being created or removed: Cyrus skips it too
	}
	if err != nil {
		return true, "", err
	}
	out.add(protocol.MailboxFromSpool(m, false))
	return true, m.QuotaRoot, nil
}

// intermediateItem is the short MAILBOX item of an intermediate entry,
// with the zeros old sync_clients need.
//
// cyrus: imap/sync_support.c sync_mailbox_byentry (3.6.1)
func intermediateItem(e *spool.Entry) *protocol.Mailbox {
	m := &protocol.Mailbox{
		UniqueID: e.UniqueID, Name: e.Name, Type: (e.Type &^ spool.TypeLegacyDirs).String(),
		UIDValidity: e.UIDValidity, Partition: e.Partition, ACL: e.ACL.String(),
		CreatedModseq: e.CreatedModseq, FolderModseq: e.FolderModseq,
		Present: protocol.KeyMboxType | protocol.KeySyncCRC | protocol.KeyLastUID | protocol.KeyHighestModseq |
			protocol.KeyRecentUID | protocol.KeyRecentTime | protocol.KeyLastAppendDate | protocol.KeyPOP3LastLogin |
			protocol.KeyPOP3ShowAfter | protocol.KeyUIDValidity | protocol.KeyPartition | protocol.KeyACL |
			protocol.KeyOptions | protocol.KeyCreatedModseq | protocol.KeyFolderModseq,
	}
	if e.Partition == "" {
		m.NilKeys |= protocol.KeyPartition // a NULL partition prints as NIL
	}
	return m
}

// snapshot reads a mailbox under Cyrus's locks and applies the version
// check every GET and APPLY makes.
func (r *replica) snapshot(ctx context.Context, name string) (*spool.Mailbox, error) {
	m, err := r.sp.Snapshot(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := r.versionCheck(m); err != nil {
		return nil, err
	}
	return m, nil
}

// versionCheck refuses a mailbox whose index is too old for replication
// or has a record without a GUID.
//
// cyrus: imap/sync_support.c sync_mailbox_version_check (3.6.1)
func (r *replica) versionCheck(m *spool.Mailbox) error {
	if m.IndexVersion != 0 && m.IndexVersion < 10 {
		return remote(protocol.CodeMailboxNotSupp)
	}
	for i := range m.Records {
		if m.Records[i].GUID == (guid.GUID{}) {
			r.log.Warn(m.Name + ": missing guid for record " + itoa(i+1) + " -- needs 'reconstruct -G'?")
			return remote(protocol.CodeMailboxNotSupp)
		}
	}
	return nil
}

// getMeta is GET META (and the end of GET USER): the user's seen state,
// one LSUB of the subscriptions (if any) and, without SIEVE-MAILBOX, the
// sieve scripts.
//
// cyrus: imap/sync_support.c user_meta, user_getseen, user_getsub,
// user_getsieve (3.6.1)
func (r *replica) getMeta(ctx context.Context, s *protocol.Session, userid string, out *reply) error {
	seen, err := r.sp.SeenState(userid)
	if err != nil && !errors.Is(err, spool.ErrNotFound) {
		return err
	}
	for i := range seen {
		out.add(protocol.SeenFromSpool("", &seen[i]))
	}
	subs, err := r.sp.Subscriptions(userid)
	if err != nil {
		return err
	}
	if len(subs.Names) > 0 {
		out.add(&protocol.LSub{Names: subs.Names})
	}
	if s.SieveMailbox {
		return nil
	}
	scripts, err := r.sp.SieveScripts(ctx, userid)
	if err != nil {
		return err
	}
	for _, sc := range scripts {
		out.add(&protocol.Sieve{FileName: sc.Name + ".script", LastUpdate: sc.LastUpdated, GUID: sc.GUID,
			Present: protocol.SieveListKeys})
		if sc.Active {
			out.add(&protocol.Sieve{FileName: sc.Name + ".bc", IsActive: true, Present: protocol.SieveListKeys})
		}
	}
	return nil
}
