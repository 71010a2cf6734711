package integration

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
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
	// First without a search engine: imapd then reads every message.
	in := NewInstance(t, TempDir(t), "master", "search_engine: none", "munge8bit: no")
	in.Start(t)
	in.CreateUser(t, "fred")
	corpus := searchTextCorpus(t)
	search := func() map[string]string {
		got := map[string]string{}
		for _, q := range squatQueries {
			got[q] = strings.Join(imapLines(t, in, "fred", UserPassword, "SELECT INBOX", "UID SEARCH CHARSET UTF-8 "+q), "|")
		}
		return got
	}
	appendCorpus(t, in, "fred", "INBOX", corpus)
	noIndex := search()
	in.Stop()
	in.Extra = []string{"search_engine: squat", "munge8bit: no"}
	in.WriteConfigs(t)
	in.Start(t)
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
	// Cyrus 3.10 indexes messages with parts for an attachment
	// extractor in a second pass.
	var attachPass func([]byte) (bool, error)
	if in.Cyrus.Version == V310 {
		attachPass = searchtext.WantsAttachExtract
	}
	oursRun := func(incremental bool) []byte {
		t.Helper()
		res, err := squatindex.IndexMailbox(context.Background(), sp, "user.fred",
			squatindex.Options{Incremental: incremental, Blocking: true, Extract: extract, AttachPass: attachPass})
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

	// Full build.
	os.Remove(qpath)
	full := cyrusRun()
	cyrusAnswers := search()
	// Over a SQUAT index Cyrus answers the messages its index does not
	// list as matches, unread: here those from the nameless document on
	// (its listing stops there). Otherwise the answers are a full scan's.
	// HEADER is answered without the index.
	unlisted := " " + strings.Join(uidsFrom(nameless(t, corpus), len(corpus)), " ")
	for q, a := range noIndex {
		if in.Cyrus.Version == V310 {
			// 3.10's full index lists only the messages of its second
			// pass: imapd's answers over it are another matter
			break
		}
		want := searchUIDs(a)
		if !strings.HasPrefix(q, "HEADER ") {
			want = mergeUIDs(want, unlisted)
		}
		if got := cyrusAnswers[q]; searchUIDs(got) != want {
			t.Errorf("SEARCH %s: over Cyrus's index %q, without an index %q (+%s)", q, searchUIDs(got), searchUIDs(a), unlisted)
		}
	}
	found := 0
	for _, a := range noIndex {
		if searchUIDs(a) != "" {
			found++
		}
	}
	if found < len(noIndex) {
		t.Errorf("only %d of %d searches found anything without an index: %v", found, len(noIndex), noIndex)
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

// squatQueries are the SEARCH keys compared: ASCII, accented, in
// headers and bodies.
var squatQueries = []string{"BODY attachments", "TEXT Straße", "SUBJECT multipart", "FROM müller", "TO carol",
	"BODY façade", "HEADER Message-ID nameless", "BODY nameless"}

// nameless is the UID of the corpus message Cyrus indexes under an empty
// document name.
func nameless(t *testing.T, corpus []struct{ name, msg string }) int {
	for i, m := range corpus {
		if m.name == "no-address-headers" {
			return i + 1
		}
	}
	t.Fatal("no nameless message in the corpus")
	return 0
}

// uidsFrom lists the UIDs from to last, as decimal strings.
func uidsFrom(from, last int) []string {
	var out []string
	for u := from; u <= last; u++ {
		out = append(out, strconv.Itoa(u))
	}
	return out
}

// searchUIDs is the sorted UIDs of a "* SEARCH ..." answer (lines joined
// with "|"), space-separated.
func searchUIDs(answer string) string {
	var uids []int
	for _, l := range strings.Split(answer, "|") {
		if rest, ok := strings.CutPrefix(l, "* SEARCH"); ok {
			for _, f := range strings.Fields(rest) {
				if n, err := strconv.Atoi(f); err == nil {
					uids = append(uids, n)
				}
			}
		}
	}
	return joinUIDs(uids)
}

// mergeUIDs is the union of two searchUIDs lists.
func mergeUIDs(a, b string) string {
	var uids []int
	for _, f := range strings.Fields(a + " " + b) {
		n, _ := strconv.Atoi(f)
		uids = append(uids, n)
	}
	return joinUIDs(uids)
}

func joinUIDs(uids []int) string {
	slices.Sort(uids)
	uids = slices.Compact(uids)
	s := make([]string, len(uids))
	for i, u := range uids {
		s[i] = strconv.Itoa(u)
	}
	return strings.Join(s, " ")
}
