package protocol

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol/internal/transcript"
)

// The recorded Cyrus 3.6.1 sessions come from protocol/internal/transcript; these
// wrappers fail the test on error.

func transcriptStreams(t testing.TB, name string) (map[string][]byte, []string) {
	t.Helper()
	streams, order, err := transcript.Streams(name)
	if err != nil {
		t.Fatal(err)
	}
	return streams, order
}

func readWireLines(t testing.TB, stream []byte, client bool, files map[string][]byte) []transcript.Line {
	t.Helper()
	lines, err := transcript.Decode(stream, client, files)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func encodeWire(t testing.TB, prefix, key string, v dlist.Value, client bool, files map[string][]byte) []byte {
	t.Helper()
	b, err := transcript.Encode(prefix, key, v, client, files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func trunc(b []byte) []byte { return transcript.Trunc(b) }

// TestTypedTranscripts parses every command and reply item of the recorded
// Cyrus 3.6.1 sessions into its typed value and checks that the typed
// value re-encodes to the same bytes.
func TestTypedTranscripts(t *testing.T) {
	types := map[string]int{}
	total := 0
	for _, name := range transcript.Names() {
		t.Run(name, func(t *testing.T) {
			streams, order := transcriptStreams(t, name)
			for _, id := range order {
				client := id[0] == 'C'
				files := map[string][]byte{}
				for _, l := range readWireLines(t, streams[id], client, files) {
					var b Body
					var err error
					if client {
						b, err = ParseRequest(l.Verb, l.Key, l.Value)
					} else {
						b, err = ParseItem(Item{Key: l.Key, Value: l.Value})
					}
					if err != nil {
						t.Fatalf("%s %s%s: %v", id, l.Prefix, l.Key, err)
					}
					if b.Key() != l.Key {
						t.Errorf("%s: key %s became %s", id, l.Key, b.Key())
					}
					types[fmt.Sprintf("%s %T", l.Verb, b)]++
					got := encodeWire(t, l.Prefix, b.Key(), b.Value(), client, files)
					if !bytes.Equal(got, l.Raw) {
						t.Errorf("%s: typed re-encoding differs\n got: %q\nwant: %q", id, trunc(got), trunc(l.Raw))
					}
					total++
				}
			}
		})
	}
	t.Logf("%d lines; types: %v", total, types)
	for _, want := range []string{"APPLY *protocol.ApplyMailbox", " *protocol.Mailbox", " *protocol.Missing",
		"APPLY *protocol.ApplyReserve", "APPLY *protocol.ApplyMessage", " *protocol.LSub", " *protocol.Enabled",
		"GET *protocol.GetUser", "GET *protocol.GetMailboxes", "APPLY *protocol.ApplySub"} {
		if types[want] == 0 {
			t.Errorf("no %q line in the transcripts", want)
		}
	}
}

// TestTranscriptCRCs checks that the SYNC_CRC and SYNC_CRC_ANNOT a real
// Cyrus 3.6.1 sync_client sent with each complete APPLY MAILBOX (first
// sync: every record) equal what spool's CRC code computes from the typed
// RECORDs of the same command.
func TestTranscriptCRCs(t *testing.T) {
	n := 0
	for _, path := range transcript.Names() {
		if !strings.HasSuffix(path, "-full-sync.txt") {
			continue
		}
		streams, order := transcriptStreams(t, path)
		for _, id := range order {
			if id[0] != 'C' {
				continue
			}
			for _, l := range readWireLines(t, streams[id], true, map[string][]byte{}) {
				if l.Key != "MAILBOX" {
					continue
				}
				m, err := ParseMailbox(l.Value)
				if err != nil {
					t.Fatal(err)
				}
				basic, annot := m.ToSpool().ComputeSyncCRCs()
				if basic != m.SyncCRC || annot != m.SyncCRCAnnot {
					t.Errorf("%s %s: computed CRCs %d/%d, Cyrus sent %d/%d", path, m.Name, basic, annot, m.SyncCRC, m.SyncCRCAnnot)
				}
				n++
			}
		}
	}
	if n < 6 {
		t.Errorf("only %d complete mailboxes checked", n)
	}
}
