package dlist

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"strings"
	"testing"
)

const benchFileSize = 10 << 20

func benchMessage() ([]byte, string) {
	line := "This is a line of a fairly ordinary RFC 5322 message body, 72 octets.\r\n"
	msg := []byte(strings.Repeat(line, benchFileSize/len(line)+1)[:benchFileSize])
	sum := sha1.Sum(msg)
	return msg, hex.EncodeToString(sum[:])
}

// BenchmarkDecodeFileLiteral10MB: a 10 MB file literal through the decoder,
// the callback copying it to io.Discard (SHA-1 check included).
func BenchmarkDecodeFileLiteral10MB(b *testing.B) {
	msg, guid := benchMessage()
	in := append([]byte("%{default "+guid+" 10485760}\r\n"), msg...)
	rd := bytes.NewReader(in)
	br := bufio.NewReaderSize(rd, 64<<10)
	opts := &DecodeOptions{File: func(part, g string, size int64, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	}}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(in)
		br.Reset(rd)
		if _, err := NewDecoder(br, opts).ReadValue(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeFileLiteral10MB: a 10 MB file literal streamed by the
// encoder from a bytes.Reader, with and without the SHA-1 check.
func BenchmarkEncodeFileLiteral10MB(b *testing.B) {
	msg, guid := benchMessage()
	for _, verify := range []bool{false, true} {
		name := "plain"
		if verify {
			name = "verify"
		}
		b.Run(name, func(b *testing.B) {
			rd := bytes.NewReader(msg)
			enc := NewEncoder(io.Discard, &EncodeOptions{VerifyFiles: verify, NonSyncLiterals: true})
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(msg)
				if err := enc.WriteFileLiteral("default", guid, int64(len(msg)), rd); err != nil {
					b.Fatal(err)
				}
				if err := enc.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCopySHA1_10MB is the baseline: io.Copy of the same 10 MB into a
// SHA-1 hash.
func BenchmarkCopySHA1_10MB(b *testing.B) {
	msg, guid := benchMessage()
	rd := bytes.NewReader(msg)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(msg)
		h := sha1.New()
		if _, err := io.Copy(h, rd); err != nil {
			b.Fatal(err)
		}
		if hex.EncodeToString(h.Sum(nil)) != guid {
			b.Fatal("bad sum")
		}
	}
}

// benchMailbox builds an APPLY MAILBOX item shaped like the transcripts'
// with n RECORD entries.
func benchMailbox(n int) Value {
	var mb Value
	mb.Append("UNIQUEID", String("po2w8t230b06ew2rjg0udbqv"))
	mb.Append("MBOXNAME", String("user.cassandane"))
	mb.Append("SYNC_CRC", Uint32(1190893338))
	mb.Append("SYNC_CRC_ANNOT", Uint32(1887790657))
	mb.Append("LAST_UID", Uint32(uint32(n)))
	mb.Append("HIGHESTMODSEQ", Uint64(uint64(n+10)))
	mb.Append("RECENTUID", Uint32(uint32(n)))
	mb.Append("RECENTTIME", Uint64(1795446242))
	mb.Append("LAST_APPENDDATE", Uint64(1795446242))
	mb.Append("POP3_LAST_LOGIN", Uint64(0))
	mb.Append("POP3_SHOW_AFTER", Uint64(0))
	mb.Append("UIDVALIDITY", Uint32(1795446243))
	mb.Append("PARTITION", String("default"))
	mb.Append("ACL", String("cassandane\tlrswipkxtecdan\t"))
	mb.Append("OPTIONS", String("P"))
	mb.Append("CREATEDMODSEQ", Uint64(1))
	mb.Append("FOLDERMODSEQ", Uint64(1))
	recs := make([]Value, n)
	flags := []Value{List(Flag(`\Seen`)), List(Flag(`\Flagged`), Flag("$Label1")), List(Flag(`\Answered`), Flag(`\Seen`)), List()}
	for i := range recs {
		var sum [20]byte
		sum[0], sum[1], sum[2] = byte(i), byte(i>>8), 0x5a
		var r Value
		r.Append("UID", Uint32(uint32(i+1)))
		r.Append("MODSEQ", Uint64(uint64(i+6)))
		r.Append("LAST_UPDATED", Uint64(1795446242))
		r.Append("FLAGS", flags[i%len(flags)])
		r.Append("INTERNALDATE", Uint64(1795446242))
		r.Append("SIZE", Uint32(621))
		r.Append("GUID", GUID(sha1.Sum(sum[:])))
		r.Append("ANNOTATIONS", List(
			KVList(KV{"ENTRY", String("/vendor/cmu/cyrus-imapd/savedate")}, KV{"USERID", String("")},
				KV{"MODSEQ", Uint64(0)}, KV{"VALUE", Uint64(1795446242)}),
			KVList(KV{"ENTRY", String("/vendor/cmu/cyrus-imapd/createdmodseq")}, KV{"USERID", String("")},
				KV{"MODSEQ", Uint64(0)}, KV{"VALUE", Uint64(uint64(i + 2))})))
		recs[i] = r
	}
	mb.Append("RECORD", List(recs...))
	return mb
}

// BenchmarkDecodeMailbox10k decodes "MAILBOX %(… RECORD (10,000 records))".
func BenchmarkDecodeMailbox10k(b *testing.B) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, nil)
	enc.EncodeItem("MAILBOX", benchMailbox(10000))
	enc.WriteRaw("\r\n")
	enc.Flush()
	in := buf.Bytes()
	rd := bytes.NewReader(in)
	br := bufio.NewReaderSize(rd, 64<<10)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(in)
		br.Reset(rd)
		d := NewDecoder(br, nil)
		if _, _, err := d.ReadItem(); err != nil {
			b.Fatal(err)
		}
		if err := d.ReadLineEnd(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeMailbox10k encodes the same item.
func BenchmarkEncodeMailbox10k(b *testing.B) {
	mb := benchMailbox(10000)
	var buf bytes.Buffer
	enc := NewEncoder(&buf, &EncodeOptions{NonSyncLiterals: true})
	enc.EncodeItem("MAILBOX", mb)
	enc.Flush()
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := enc.EncodeItem("MAILBOX", mb); err != nil {
			b.Fatal(err)
		}
		if err := enc.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
