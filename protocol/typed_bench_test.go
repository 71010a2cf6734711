package protocol

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// benchTypedMailbox is a GET FULLMAILBOX-like MAILBOX with n records shaped
// like the transcripts' (flags, savedate and createdmodseq
// pseudo-annotations).
func benchTypedMailbox(n int) *Mailbox {
	m := sampleMailbox()
	m.Records = make([]Record, n)
	flags := [][]string{{}, {`\Seen`}, {`\Flagged`, "$Label1"}, {`\Answered`, `\Seen`}}
	for i := range m.Records {
		uid := uint32(i + 1)
		m.Records[i] = Record{
			UID: uid, Modseq: uint64(i + 5), LastUpdated: 1795446242, Flags: flags[i%4],
			InternalDate: 1795446242, Size: 621, GUID: guid.Sum([]byte(strconv.Itoa(i))),
			Annotations: []ListAnnotation{
				{Entry: "/vendor/cmu/cyrus-imapd/savedate", Data: "1795446242"},
				{Entry: "/vendor/cmu/cyrus-imapd/createdmodseq", Data: strconv.Itoa(i + 2)},
			},
		}
	}
	m.LastUID = uint32(n)
	return m
}

// BenchmarkTypedMailbox10kDecodeParse reads a `* MAILBOX` line with 10,000
// records off the wire and parses it into a typed Mailbox.
func BenchmarkTypedMailbox10kDecodeParse(b *testing.B) {
	var buf bytes.Buffer
	enc := dlist.NewEncoder(&buf, nil)
	m := benchTypedMailbox(10000)
	if err := enc.EncodeItem(m.Key(), m.Value()); err != nil {
		b.Fatal(err)
	}
	enc.WriteRaw("\r\n")
	enc.Flush()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, 64<<10)
	dec := dlist.NewDecoder(br, nil)
	for b.Loop() {
		rd.Reset(data)
		br.Reset(rd)
		_, v, err := dec.ReadItem()
		if err == nil {
			err = dec.ReadLineEnd()
		}
		if err != nil {
			b.Fatal(err)
		}
		got, err := ParseMailbox(v)
		if err != nil || len(got.Records) != 10000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkTypedMailbox10kEncode turns a typed Mailbox with 10,000 records
// into its dlist and writes it.
func BenchmarkTypedMailbox10kEncode(b *testing.B) {
	m := benchTypedMailbox(10000)
	var n countWriter
	w := bufio.NewWriterSize(&n, 64<<10)
	enc := dlist.NewEncoder(w, nil)
	enc.EncodeItem(m.Key(), m.Value())
	enc.Flush()
	b.SetBytes(n.n)
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.EncodeItem(m.Key(), m.Value()); err != nil {
			b.Fatal(err)
		}
		enc.WriteRaw("\r\n")
		enc.Flush()
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

// BenchmarkTypedMailbox10kParse parses an already decoded MAILBOX dlist
// with 10,000 records (the typed layer alone).
func BenchmarkTypedMailbox10kParse(b *testing.B) {
	v := benchTypedMailbox(10000).Value()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMailbox(v); err != nil {
			b.Fatal(err)
		}
	}
}
