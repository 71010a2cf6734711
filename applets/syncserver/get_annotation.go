package syncserver

import (
	"context"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// getAnnotation is GET ANNOTATION: every mailbox-level annotation of the
// mailboxes matching the argument, "" meaning the server annotations. As
// in Cyrus 3.6 the argument is a pattern in the admin's external namespace
// ('*' and '%' are wildcards), so with unixhierarchysep an internal name
// such as user.fred matches nothing — Cyrus's own behaviour, kept so that
// a Cyrus client sees what it sees from Cyrus.
//
// cyrus: imap/sync_support.c sync_get_annotation, getannotation_cb;
// imap/annotate.c annotatemore_findall_full, find_cb (3.6.1)
func (r *replica) getAnnotation(ctx context.Context, q *protocol.GetAnnotation, out *reply) error {
	if q.MboxName == "" {
		return r.annotationsOf("", "", "", out)
	}
	if r.sp.Config().Version.AtLeast(conf.V3_10) {
		return r.getAnnotation310(q, out)
	}
	ns := r.sp.Config().Namespace()
	if !strings.ContainsAny(q.MboxName, "*%") {
		name, err := ns.ParseExternal(q.MboxName)
		if err != nil {
			return nil
		}
		e, err := r.sp.LookupName(name)
		if err != nil || e.Deleted() || e.Intermediate() {
			return nil
		}
		return r.annotationsOf(e.UniqueID, e.Name, ns.UserIDOf(e.Name), out)
	}
	for e, err := range r.sp.Mailboxes(ctx) {
		if err != nil {
			return err
		}
		if e.Deleted() || e.Intermediate() {
			continue
		}
		ext, err := ns.External(e.Name)
		if err != nil || !globMatch(q.MboxName, ext, ns.Sep) {
			continue
		}
		if err := r.annotationsOf(e.UniqueID, e.Name, ns.UserIDOf(e.Name), out); err != nil {
			return err
		}
	}
	return nil
}

// annotationsOf sends the live annotations of one mailbox (uniqueid "":
// the server's) as ANNOTATION items.
func (r *replica) annotationsOf(uniqueid, name, owner string, out *reply) error {
	as, err := r.sp.MailboxAnnotations(uniqueid, owner)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Deleted || len(a.Value) == 0 {
			continue // tombstones are not sent
		}
		out.add(&protocol.MailboxAnnotation{MboxName: name, Entry: a.Entry, UserID: a.UserID, Data: string(a.Value)})
	}
	return nil
}

// globMatch matches an IMAP LIST pattern: '*' matches anything, '%'
// anything but the hierarchy separator.
//
// cyrus: lib/glob.c (3.6.1)
func globMatch(pattern, name string, sep byte) bool {
	if pattern == "" {
		return name == ""
	}
	switch c := pattern[0]; c {
	case '*', '%':
		for i := 0; i <= len(name); i++ {
			if globMatch(pattern[1:], name[i:], sep) {
				return true
			}
			if i < len(name) && c == '%' && name[i] == sep {
				return false
			}
		}
		return false
	default:
		return name != "" && name[0] == c && globMatch(pattern[1:], name[1:], sep)
	}
}
