package integration

import (
	"bufio"
	"bytes"
	"io"
	"math/rand"
	"net"
	"testing"
	"time"
)

// TestLatencyProxy checks the proxy on an echo server: a line's round trip
// takes at least twice the one-way delay (and not much more), and a large
// stream comes back whole and in order, faster than one delay per chunk.
func TestLatencyProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	const delay = 35 * time.Millisecond
	p := NewLatencyProxy(t, ln.Addr().String(), delay)
	c, err := net.Dial("tcp", "127.0.0.1:"+itoa(p.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		start := time.Now()
		io.WriteString(c, "ping\r\n")
		line, err := r.ReadString('\n')
		rtt := time.Since(start)
		if err != nil || line != "ping\r\n" {
			t.Fatalf("echo: %q %v", line, err)
		}
		if rtt < 2*delay || rtt > 2*delay+50*time.Millisecond {
			t.Errorf("round trip %v, want about %v", rtt, 2*delay)
		}
	}
	// 8 MiB in 4 KiB writes: 2048 chunks, each delayed but not one after
	// the other.
	data := make([]byte, 8<<20)
	rand.New(rand.NewSource(1)).Read(data)
	start := time.Now()
	go func() {
		for off := 0; off < len(data); off += 4096 {
			c.Write(data[off : off+4096])
		}
	}()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("stream through the proxy differs")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("8 MiB took %v through the proxy: bandwidth limited", d)
	}
	t.Logf("8 MiB echoed in %v", time.Since(start))
}
