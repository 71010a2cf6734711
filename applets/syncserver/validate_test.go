package syncserver

import (
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

func TestCheckNames(t *testing.T) {
	ok := []protocol.Request{
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "user.fred.Sent", UniqueID: "abc123", Partition: "default"}},
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "example.com!user.fred^smith.&AOk-", UniqueID: "a-b-c"}},
		&protocol.ApplyRename{OldName: "user.fred.A", NewName: "DELETED.user.fred.A.6B16E131", Partition: "default"},
		&protocol.ApplyUnuser{UserID: ""},
		&protocol.ApplySub{UserID: "fred", MboxName: "shared.folder"},
		&protocol.ApplyAnnotation{Annotation: &protocol.MailboxAnnotation{Entry: "/comment"}},
	}
	for _, r := range ok {
		if err := checkNames(r); err != nil {
			t.Errorf("%s %s refused: %v", r.Verb(), r.Key(), err)
		}
	}
	bad := []protocol.Request{
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "user.fred.a/../../x", UniqueID: "abc"}},
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "user..fred", UniqueID: "abc"}},
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "user.fred", UniqueID: "../../etc"}},
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "user.fred", UniqueID: ".."}},
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "user.fred", UniqueID: "x", Partition: "a/b"}},
		&protocol.ApplyMailbox{Mailbox: &protocol.Mailbox{Name: "user.fred." + strings.Repeat("x", 500)}},
		&protocol.GetUser{UserID: "../root"},
		&protocol.ApplySeen{Seen: &protocol.Seen{UserID: "fred\x00", UniqueID: "x"}},
		&protocol.ApplySieve{Sieve: &protocol.Sieve{UserID: "fred", FileName: "../x.script"}},
		&protocol.ApplyUnsieve{UserID: "fred", FileName: ".."},
		&protocol.GetFetch{MboxName: "user.fred", Partition: "default", UniqueID: "a/b"},
		&protocol.ApplyUnannotation{MboxName: "user.fred", Entry: "/a\x00b"},
		&protocol.ApplyRename{OldName: "user.fred", NewName: "user.fred.x\ny"},
	}
	for _, r := range bad {
		if err := checkNames(r); err == nil {
			t.Errorf("%s %s %+v accepted", r.Verb(), r.Key(), r)
		}
	}
}
