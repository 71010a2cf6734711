package squatterchannel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// mailboxes is what the loop reads of mailboxes.db (a *spool.Spool).
type mailboxes interface {
	LookupName(intname string) (*spool.Entry, error)
	UserMailboxes(ctx context.Context, userid string) ([]*spool.Entry, error)
}

// skipRules are the settings should_index reads.
type skipRules struct {
	ns               conf.Namespace
	startName        string   // -N
	sieveFolder      string   // sieve_folder
	submissionFolder string   // jmapsubmissionfolder
	skipDomains      []string // search_index_skip_domains
	skipUsers        []string // search_index_skip_users
	// jmapFolders: Cyrus 3.10 also skips JMAP upload (jmapuploadfolder)
	// and notification (jmapnotificationfolder) mailboxes.
	jmapFolders        bool
	uploadFolder       string
	notificationFolder string
}

// schedInbox is the CalDAV scheduling Inbox's name, without its trailing
// "/" (SCHED_INBOX).
//
// cyrus: imap/http_caldav_sched.h (3.6.1)
const schedInbox = "Inbox"

// lookupErrText is Cyrus's error_message() for what mboxlist_lookup
// returns: tombstones and intermediates are "not there", reserved
// entries are reserved.
//
// cyrus: imap/mboxlist.c mboxlist_mylookup; imap/imap_err.et (3.6.1)
func lookupErrText(e *spool.Entry, err error) string {
	switch {
	case errors.Is(err, spool.ErrNotFound):
		return "Mailbox does not exist"
	case err != nil:
		return err.Error()
	case e.Type&spool.TypeReserve != 0:
		return "Mailbox is currently reserved"
	case e.Type&(spool.TypeDeleted|spool.TypeIntermediate) != 0:
		return "Mailbox does not exist"
	}
	return ""
}

// shouldIndex is Cyrus's should_index: whether the mailbox is one to
// index. lookupErr is the "error looking up" text when the mailboxes.db
// lookup failed ("" otherwise); every other skip is silent.
//
// cyrus: imap/squatter.c should_index (3.6.1, 3.10.2); imap/mboxname.c
// mboxname_isa (3.10.2)
func (s *skipRules) shouldIndex(mb mailboxes, name string) (ok bool, lookupErr string) {
	if name < s.startName {
		return false, ""
	}
	e, err := mb.LookupName(name)
	if text := lookupErrText(e, err); text != "" {
		return false, text
	}
	if e.Type&(spool.TypeRemote|spool.TypeDeleted|spool.TypeIntermediate) != 0 {
		return false, ""
	}
	m := s.ns.ParseInternal(e.Name)
	firstBox := func(prefix string) bool { return len(m.Boxes) > 0 && m.Boxes[0] == prefix }
	kind := e.Type.Kind()
	switch {
	case kind == spool.KindJMAPSubmission || firstBox(s.submissionFolder):
		return false, ""
	case kind == spool.KindSieve || firstBox(s.sieveFolder):
		return false, ""
	// mboxname_isa: an upload folder is a collection (skipped below) or
	// an email mailbox by its name; a notification folder is one by its
	// type or its name
	case s.jmapFolders && kind == spool.KindEmail && firstBox(s.uploadFolder):
		return false, ""
	case s.jmapFolders && (kind == spool.KindJMAPNotify || firstBox(s.notificationFolder)):
		return false, ""
	case kind == spool.KindCollection:
		return false, ""
	case kind == spool.KindCalendar && m.LocalPart != "" && len(m.Boxes) == 2 && strings.HasPrefix(m.Boxes[1], schedInbox):
		return false, ""
	case m.Deleted != 0:
		return false, ""
	case m.Domain != "" && slices.Contains(s.skipDomains, m.Domain):
		return false, ""
	case m.LocalPart != "" && slices.Contains(s.skipUsers, m.UserID()):
		return false, ""
	}
	return true, ""
}

// userTree is mboxlist_usermboxtree without flags: the user's INBOX and
// every mailbox below it, tombstones and intermediates left out.
//
// cyrus: imap/mboxlist.c mboxlist_usermboxtree, allmbox_p (3.6.1)
func userTree(ctx context.Context, mb mailboxes, userid string) ([]string, error) {
	entries, err := mb.UserMailboxes(ctx, userid)
	if err != nil {
		return nil, fmt.Errorf("mailboxes of user %s: %w", userid, err)
	}
	var names []string
	for _, e := range entries {
		if e.Type&(spool.TypeDeleted|spool.TypeIntermediate) == 0 {
			names = append(names, e.Name)
		}
	}
	return names, nil
}
