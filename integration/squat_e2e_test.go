package integration

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/searchtext"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
	"github.com/cyrus-replication/cyrus-replication/spool/squatindex"
)

// TestSquatLikeCyrus: the whole native indexer (spool/squatindex reading
// the mailbox, spool/searchtext extracting, spool/squat writing) against
// Cyrus's squatter on the same mailbox: the cyrus.squat files are equal
// byte for byte, for a full build of the search-text corpus and for an
// incremental update after more deliveries (squatter -i), and imapd
// answers SEARCH over our index as over Cyrus's.
func TestSquatLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master", "search_engine: squat", "munge8bit: no")
	in.Start(t)
	in.CreateUser(t, "fred")
	corpus := searchTextCorpus(t)
	appendCorpus(t, in, "fred", "INBOX", corpus)
	sp := openSpool(t, in)
	e, err := sp.LookupName("user.fred")
	if err != nil {
		t.Fatal(err)
	}
	qpath, _ := sp.MetaPath(e, spool.MetaSquat)
	opt := searchtext.OptionsFrom(in.LoadConf(t, "squatter", 0))
	extract := func(uid uint32, msg []byte) ([]squat.Document, error) {
		docs, err := searchtext.Documents(uid, msg, opt)
		out := make([]squat.Document, len(docs))
		for i, d := range docs {
			out[i] = squat.Document{Name: d.Name, Text: d.Text}
		}
		return out, err
	}
	cyrusRun := func(args ...string) []byte {
		t.Helper()
		if res := in.Tool(t, "squatter", append(args, "user/fred")...); res.Code != 0 {
			t.Fatalf("squatter %v: exit %d: %s", args, res.Code, res.Stderr)
		}
		b, err := os.ReadFile(qpath)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	oursRun := func(incremental bool) []byte {
		t.Helper()
		res, err := squatindex.IndexMailbox(context.Background(), sp, "user.fred",
			squatindex.Options{Incremental: incremental, Blocking: true, Extract: extract})
		if err != nil || res != squatindex.Done {
			t.Fatalf("IndexMailbox(incremental %v) = %v, %v", incremental, res, err)
		}
		Chown(t, qpath)
		b, err := os.ReadFile(qpath)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	search := func() map[string]string {
		got := map[string]string{}
		for _, q := range []string{"BODY attachments", "TEXT Straße", "SUBJECT multipart", "FROM müller", "TO carol", "BODY 검색", "HEADER Message-ID nameless", "BODY nameless"} {
			got[q] = strings.Join(imapLines(t, in, "fred", UserPassword, "SELECT INBOX", "UID SEARCH CHARSET UTF-8 "+q), "|")
		}
		return got
	}

	// Full build.
	os.Remove(qpath)
	noIndex := search()
	full := cyrusRun()
	cyrusAnswers := search()
	if !equalMaps(noIndex, cyrusAnswers) {
		t.Errorf("SEARCH without an index:\n%v\nover Cyrus's:\n%v", noIndex, cyrusAnswers)
	}
	found := 0
	for q, a := range cyrusAnswers {
		if !strings.Contains(a, "OK") {
			t.Errorf("SEARCH %s: %s", q, a)
		}
		if strings.Contains(a, "* SEARCH ") {
			found++
		}
	}
	if found < len(cyrusAnswers)-1 {
		t.Errorf("only %d of %d searches found anything: %v", found, len(cyrusAnswers), cyrusAnswers)
	}
	os.Remove(qpath)
	if ours := oursRun(false); !bytes.Equal(ours, full) {
		t.Errorf("full build: ours %d bytes, Cyrus's %d: not equal", len(ours), len(full))
	}
	if got := search(); !equalMaps(got, cyrusAnswers) {
		t.Errorf("SEARCH over our index:\n%v\nover Cyrus's:\n%v", got, cyrusAnswers)
	}

	// Incremental, from Cyrus's full index, after more deliveries.
	appendCorpus(t, in, "fred", "INBOX", corpus[:5])
	os.WriteFile(qpath, full, 0o600)
	Chown(t, qpath)
	incr := cyrusRun("-i")
	os.WriteFile(qpath, full, 0o600)
	Chown(t, qpath)
	if ours := oursRun(true); !bytes.Equal(ours, incr) {
		t.Errorf("incremental update: ours %d bytes, Cyrus's %d: not equal", len(ours), len(incr))
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
