package integration

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// LatencyProxy is a TCP proxy on loopback that delays every byte by a fixed
// one-way delay in each direction, as a long link would: a chunk read at t
// is written at t+Delay, chunks in order, without holding back the ones
// after it (the link's bandwidth is what loopback gives). With 35 ms each
// way a client behind it sees a 70 ms round trip.
type LatencyProxy struct {
	// Port is where the proxy listens (127.0.0.1).
	Port int
	// Delay is the one-way delay.
	Delay time.Duration

	target string
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	// toServer and toClient count the bytes forwarded each way.
	toServer, toClient atomic.Int64
}

// Bytes returns how many bytes the proxy has forwarded to the server and
// to the client so far: what crossed the link.
func (p *LatencyProxy) Bytes() (toServer, toClient int64) {
	return p.toServer.Load(), p.toClient.Load()
}

// NewLatencyProxy listens on a free loopback port and forwards each
// connection to target (host:port), delaying each direction by delay. It
// stops when the test ends.
func NewLatencyProxy(t testing.TB, target string, delay time.Duration) *LatencyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &LatencyProxy{Port: ln.Addr().(*net.TCPAddr).Port, Delay: delay, target: target, ln: ln}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Close stops listening and ends every connection.
func (p *LatencyProxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *LatencyProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *LatencyProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.track(client)
		p.track(server)
		for _, c := range []net.Conn{client, server} {
			c.(*net.TCPConn).SetNoDelay(true)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var both sync.WaitGroup
			both.Add(2)
			go func() { defer both.Done(); p.pipe(server, client, &p.toServer) }()
			go func() { defer both.Done(); p.pipe(client, server, &p.toClient) }()
			both.Wait()
			client.Close()
			server.Close()
		}()
	}
}

// chunk is what one read returned, with when it arrived; eof marks the
// end of the stream (after the delay, the write side is shut).
type chunk struct {
	data []byte
	at   time.Time
	eof  bool
}

// pipe copies src to dst Delay late. A reader stamps each chunk; the
// writer sleeps until its time. The channel bounds what is held in the
// proxy (queue × 64 KiB), as a link's buffers do.
func (p *LatencyProxy) pipe(dst, src net.Conn, count *atomic.Int64) {
	q := make(chan chunk, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range q {
			if d := time.Until(c.at.Add(p.Delay)); d > 0 {
				time.Sleep(d)
			}
			if c.eof {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
				} else {
					dst.Close()
				}
				return
			}
			if _, err := dst.Write(c.data); err != nil {
				src.Close()
				dst.Close()
				for range q { // let the reader finish
				}
				return
			}
		}
	}()
	for {
		buf := make([]byte, 64<<10)
		n, err := src.Read(buf)
		if n > 0 {
			count.Add(int64(n))
			q <- chunk{data: buf[:n], at: time.Now()}
		}
		if err != nil {
			if err == io.EOF {
				q <- chunk{at: time.Now(), eof: true}
			}
			break
		}
	}
	close(q)
	<-done
	if tc, ok := src.(*net.TCPConn); ok {
		tc.CloseRead()
	}
}
