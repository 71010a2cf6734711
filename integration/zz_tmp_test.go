package integration

import (
	"strings"
	"testing"
)

func TestZZAnnotTrace(t *testing.T) {
	RequireCyrus(t)
	for _, ours := range []bool{false, true} {
		var p *Pair
		if ours {
			p = NewPairOurServer(t)
		} else {
			p = NewPair(t)
		}
		user := "annotu"
		p.AddUser(t, user)
		p.Master.Deliver(t, user, 3)
		c := p.Master.IMAP(t, user, UserPassword)
		v1, v2 := []byte("private note"), []byte("shared note")
		c.SetMetadata("INBOX", map[string]*[]byte{"/private/comment": &v1, "/shared/comment": &v2}).Wait()
		rawIMAP(t, p.Master, user, UserPassword, "SELECT INBOX",
			`UID STORE 1 ANNOTATION (/comment (value.shared "msg note" value.priv "mine"))`)
		r := p.CyrusSync(t, "-v", "-v", "-u", user)
		t.Logf("ours=%v sync1 exit %d", ours, r.Code)
		rawIMAP(t, p.Master, user, UserPassword, "SELECT INBOX",
			`UID STORE 1 ANNOTATION (/comment (value.shared NIL value.priv "changed"))`)
		r = p.CyrusSync(t, "-v", "-v", "-u", user)
		var keep []string
		for _, l := range strings.Split(r.Stderr, "\n") {
			if strings.Contains(l, "MAILBOX") || strings.HasPrefix(l, "S") {
				keep = append(keep, l)
			}
		}
		t.Logf("ours=%v sync2 exit %d\n%s", ours, r.Code, strings.Join(keep, "\n"))
	}
}
