package syncserver

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TestStagingReceive: a small upload is written whole and parsed once, a
// large one streamed; a failed or short upload leaves no staged file; a
// second upload of a GUID replaces the name and never writes through a
// hard link the first one got in a mailbox.
func TestStagingReceive(t *testing.T) {
	srv, dir := newTestServer(t)
	st := newStaging(srv.spool, "test", slog.New(slog.DiscardHandler))
	defer st.reset()

	small := []byte("Subject: small\r\n\r\nbody\r\n")
	large := append([]byte("Subject: large\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef\r\n"), maxBufferedUpload/16)...)
	for _, msg := range [][]byte{small, large} {
		g := guid.Sum(msg)
		if err := st.receive("default", g.String(), int64(len(msg)), bytes.NewReader(msg), false); err != nil {
			t.Fatalf("receive %d bytes: %v", len(msg), err)
		}
		f := st.lookup("default", g)
		if f == nil {
			t.Fatalf("%d bytes: not staged", len(msg))
		}
		if got, _ := os.ReadFile(f.path); !bytes.Equal(got, msg) {
			t.Errorf("%d bytes: staged file holds %d bytes", len(msg), len(got))
		}
		parsed := st.takeParsed(f)
		if (parsed != nil) != (len(msg) <= maxBufferedUpload) {
			t.Errorf("%d bytes: parsed at receive = %v", len(msg), parsed != nil)
		}
		if parsed != nil && parsed.GUID != g {
			t.Errorf("parsed GUID %s, want %s", parsed.GUID, g)
		}
		if st.takeParsed(f) != nil || st.parsedBytes != 0 {
			t.Errorf("the parsed entry is taken twice (budget %d)", st.parsedBytes)
		}
	}

	// a failing stream, and an upload shorter than announced
	bad := []byte("Subject: bad\r\n\r\n")
	g := guid.Sum(bad)
	failing := io.MultiReader(bytes.NewReader(bad[:4]), errReader{})
	if err := st.receive("default", g.String(), int64(len(bad)), failing, false); err == nil {
		t.Error("a failing upload was accepted")
	}
	if err := st.receive("default", g.String(), int64(len(bad)+1), bytes.NewReader(bad), false); err == nil {
		t.Error("a short upload was accepted")
	}
	if st.lookup("default", g) != nil {
		t.Error("a failed upload is staged")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "spool", "sync.", "test")); err != nil || len(ents) != 2 {
		t.Errorf("the staging directory holds %v (%v), want the two good uploads", ents, err)
	}

	// a hard link made from the first upload keeps its content
	g = guid.Sum(small)
	first := st.lookup("default", g).path
	linked := filepath.Join(t.TempDir(), "1.")
	if err := os.Link(first, linked); err != nil {
		t.Fatal(err)
	}
	if err := st.receive("default", g.String(), int64(len(small)), strings.NewReader(string(small)), false); err != nil {
		t.Fatal(err)
	}
	if fi1, _ := os.Stat(first); fi1 != nil {
		if fi2, _ := os.Stat(linked); os.SameFile(fi1, fi2) {
			t.Error("the second upload wrote through the first one's hard link")
		}
	}
	if got, _ := os.ReadFile(linked); !bytes.Equal(got, small) {
		t.Errorf("the linked message file changed: %q", got)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestStagingReceiveToArchive: with REPLICATION-ARCHIVE enabled an upload
// is staged on the archive partition (dlist_reserve_path with isarchive),
// yet not marked archived (sync_apply_message leaves is_archive unset);
// reset removes that staging directory too.
func TestStagingReceiveToArchive(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "archive")
	srv, dir := newTestServer(t, "archive_enabled: 1", "archivepartition-default: "+archive)
	st := newStaging(srv.spool, "test", slog.New(slog.DiscardHandler))
	msg := []byte("Subject: to the archive\r\n\r\nbody\r\n")
	g := guid.Sum(msg)
	if err := st.receive("default", g.String(), int64(len(msg)), bytes.NewReader(msg), true); err != nil {
		t.Fatal(err)
	}
	f := st.lookup("default", g)
	if f == nil {
		t.Fatal("not staged")
	}
	if want := filepath.Join(archive, "sync.", "test", g.String()); f.path != want || f.archived {
		t.Errorf("staged at %s (archived %v), want %s, not archived", f.path, f.archived, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "spool", "sync.", "test")); !os.IsNotExist(err) {
		t.Errorf("a staging directory on the data partition: %v", err)
	}
	st.reset()
	if _, err := os.Stat(filepath.Join(archive, "sync.", "test")); !os.IsNotExist(err) {
		t.Errorf("reset left the archive staging directory: %v", err)
	}
}

// TestStagingDebugPartitionChoice: with debug_log_sync_partition_choice
// (3.8 on) every reserve path chosen, uploaded or linked, is logged as
// Cyrus's dlist_reserve_path does; Cyrus 3.6 has no such option and logs
// nothing.
func TestStagingDebugPartitionChoice(t *testing.T) {
	for _, v := range []conf.Version{conf.V3_6, conf.V3_10} {
		dir := filepath.Join(t.TempDir(), "replica")
		path := copyFixture(t, dir, "sievedir: "+filepath.Join(dir, "sieve"), "debug_log_sync_partition_choice: 1")
		cfg, err := conf.LoadVersion(path, "csync", conf.NeedPartitionData, v)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := newServer(&cyrus.Env{Config: cfg, Log: slog.New(slog.DiscardHandler)}, &Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		log := slog.New(cyruslog.NewHandler(cyruslog.Options{Tag: "test", Debug: true, Stderr: &out,
			Network: "unixgram", Addr: filepath.Join(t.TempDir(), "none")}))
		st := newStaging(srv.spool, "test", log)
		msg := []byte("Subject: staged\r\n\r\nbody\r\n")
		g := guid.Sum(msg)
		if err := st.receive("default", g.String(), int64(len(msg)), bytes.NewReader(msg), false); err != nil {
			t.Fatal(err)
		}
		base, _ := cfg.PartitionDir("default")
		want := ""
		if v == conf.V3_10 {
			want = "debug_log_sync_partition_choice: chose reserve path: base=<" + base + "> reserve_path=<" +
				filepath.Join(base, "sync.", "test", g.String()) + "> func=<dlist_reserve_path>\n"
		}
		if got := out.String(); got != want {
			t.Errorf("Cyrus %v: logged %q, want %q", v, got, want)
		}
	}
}
