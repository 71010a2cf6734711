package searchtext

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestPutASCII: putASCII gives what put gives byte by byte, whitespace
// state carried across calls, for every search_whitespace and diacritics
// setting.
func TestPutASCII(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, opt := range []Options{
		{SkipDiacrit: true}, {Whitespace: WhitespaceSkip}, {Whitespace: WhitespaceKeep}, {SkipDiacrit: true, Whitespace: WhitespaceKeep},
	} {
		for range 200 {
			fast, slow := &canon{opt: opt}, &canon{opt: opt}
			for range 1 + r.Intn(4) {
				p := make([]byte, r.Intn(40))
				for i := range p {
					p[i] = " \r\n\tAaZz09-"[r.Intn(11)]
					if r.Intn(3) == 0 {
						p[i] = byte(1 + r.Intn(0x7f))
					}
				}
				fast.putASCII(p)
				for _, c := range p {
					slow.put(rune(c))
				}
				if r.Intn(2) == 0 { // a non-ASCII code point between runs
					fast.put('é')
					slow.put('é')
				}
			}
			if !bytes.Equal(fast.out, slow.out) {
				t.Fatalf("%+v: putASCII %q, put %q", opt, fast.out, slow.out)
			}
		}
	}
}

// BenchmarkBody: a plain-text body part of the generated corpus's kind to
// search form.
func BenchmarkBody(b *testing.B) {
	var msg bytes.Buffer
	msg.WriteString("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	words := []string{"replication ", "mailbox ", "cyrus ", "modseq ", "uidvalidity ", "record ", "channel "}
	r := rand.New(rand.NewSource(1))
	for line := 0; msg.Len() < 1<<20; line++ {
		msg.WriteString(words[r.Intn(len(words))])
		if line%12 == 11 {
			msg.WriteString("\r\n")
		}
	}
	b.SetBytes(int64(msg.Len()))
	for range b.N {
		if _, err := Documents(1, msg.Bytes(), DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
