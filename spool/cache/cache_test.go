package cache

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// vectorRecord holds the record fields Cyrus wrote for a vector.
type vectorRecord struct {
	Size         uint64 `json:"size"`
	HeaderSize   uint32 `json:"header_size"`
	InternalDate int64  `json:"internaldate"`
	SentDate     int64  `json:"sentdate"`
	GMTime       int64  `json:"gmtime"`
	GUID         string `json:"guid"`
	CacheVersion uint16 `json:"cache_version"`
	CacheCRC     uint32 `json:"cache_crc"`
}

// TestVectors checks Parse against messages delivered to a real Cyrus
// 3.6.1 running with TZ=UTC: its cache entries and record fields, captured by
// integration.TestSpoolCache with CYRUS_CACHE_CAPTURE=testdata/vectors.
func TestVectors(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.UTC
	emls, _ := filepath.Glob("testdata/vectors/*.eml")
	if len(emls) == 0 {
		t.Fatal("no vectors")
	}
	for _, eml := range emls {
		name := strings.TrimSuffix(eml, ".eml")
		t.Run(filepath.Base(name), func(t *testing.T) {
			msg, err := os.ReadFile(eml)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(name + ".entry")
			if err != nil {
				t.Fatal(err)
			}
			js, err := os.ReadFile(name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var r vectorRecord
			if err := json.Unmarshal(js, &r); err != nil {
				t.Fatal(err)
			}
			m, err := Parse(msg)
			if err != nil {
				t.Fatal(err)
			}
			sent, gm := m.WithInternalDate(r.InternalDate)
			g, _ := guid.Parse(r.GUID)
			if m.Size != r.Size || m.HeaderSize != r.HeaderSize || uint32(sent) != uint32(r.SentDate) ||
				uint32(gm) != uint32(r.GMTime) || m.GUID != g || m.CacheVersion != r.CacheVersion || m.CRC != r.CacheCRC {
				t.Errorf("fields: ours size %d hdr %d sent %d gm %d guid %s ver %d crc %d; Cyrus %+v",
					m.Size, m.HeaderSize, sent, gm, m.GUID, m.CacheVersion, m.CRC, r)
			}
			if !bytes.Equal(m.Entry, want) {
				ours, _ := Items(m.Entry)
				theirs, err := Items(want)
				if err != nil {
					t.Fatal(err)
				}
				for i := range ours {
					if !bytes.Equal(ours[i], theirs[i]) {
						t.Errorf("%s:\nours  %q\nCyrus %q", Item(i), ours[i], theirs[i])
					}
				}
			}
			got, err := ReadEntry(bytes.NewReader(append([]byte{0, 0, 0, 0}, want...)), 4)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("ReadEntry: %v", err)
			}
		})
	}
}

// TestReadEntryBounds checks that bad offsets and truncated entries are
// errors naming the offset.
func TestReadEntryBounds(t *testing.T) {
	m, err := Parse([]byte("Subject: x\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	file := append([]byte{0, 0, 0, 0}, m.Entry...)
	for _, c := range []struct {
		data []byte
		off  uint64
	}{
		{file, 0},
		{file, uint64(len(file))},
		{file, 1 << 40},
		{file[:len(file)-3], 4},
		{append([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, m.Entry...), 4},
	} {
		if _, err := ReadEntry(bytes.NewReader(c.data), c.off); err == nil {
			t.Errorf("offset %d of %d bytes: no error", c.off, len(c.data))
		} else if !strings.Contains(err.Error(), "offset") {
			t.Errorf("error without offset: %v", err)
		}
	}
	if _, err := Parse(nil); err == nil {
		t.Error("Parse(empty): no error")
	}
}

// TestItems checks the item split of a parsed entry.
func TestItems(t *testing.T) {
	m, err := Parse([]byte("From: Ann <A@Example.org>\r\nSubject: hi\r\nX-Mailer: m\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	it, err := Items(m.Entry)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[Item]string{From: "Ann <a@example.org>", Subject: `"hi"`, Headers: "X-Mailer: m\r\n", Cc: ""} {
		if string(it[i]) != want {
			t.Errorf("%s = %q, want %q", i, it[i], want)
		}
	}
	if _, err := Items(m.Entry[:len(m.Entry)-8]); err == nil {
		t.Error("truncated entry: no error")
	}
}
