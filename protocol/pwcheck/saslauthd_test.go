package pwcheck

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSaslauthd serves saslauthd's protocol on a temporary socket: it
// records each request (login, password, service, realm) and answers with
// reply(request), written raw.
type fakeSaslauthd struct {
	path string
	mu   sync.Mutex
	reqs [][4]string
}

func startSaslauthd(t *testing.T, reply func(req [4]string) []byte) *fakeSaslauthd {
	t.Helper()
	f := &fakeSaslauthd{path: filepath.Join(t.TempDir(), "mux")}
	l, err := net.Listen("unix", f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var req [4]string
				for i := range req {
					var n [2]byte
					if _, err := io.ReadFull(c, n[:]); err != nil {
						return
					}
					b := make([]byte, binary.BigEndian.Uint16(n[:]))
					if _, err := io.ReadFull(c, b); err != nil {
						return
					}
					req[i] = string(b)
				}
				f.mu.Lock()
				f.reqs = append(f.reqs, req)
				f.mu.Unlock()
				c.Write(reply(req))
			}()
		}
	}()
	return f
}

func (f *fakeSaslauthd) take() [][4]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs
	f.reqs = nil
	return r
}

func counted(s string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...)
}

// users answers OK for the passwords of a map keyed "login realm".
func users(m map[string]string) func([4]string) []byte {
	return func(r [4]string) []byte {
		if pw, ok := m[r[0]+" "+r[3]]; ok && pw == r[1] {
			return counted("OK")
		}
		return counted("NO authentication failed")
	}
}

func TestSaslauthdQuery(t *testing.T) {
	ctx := context.Background()
	f := startSaslauthd(t, users(map[string]string{"alice realm.test": "secret"}))
	ok, answer, err := SaslauthdQuery(ctx, f.path, "alice", "secret", "csync", "realm.test")
	if !ok || answer != "OK" || err != nil {
		t.Errorf("right password: %v %q %v", ok, answer, err)
	}
	ok, answer, err = SaslauthdQuery(ctx, f.path, "alice", "wrong", "csync", "realm.test")
	if ok || answer != "NO authentication failed" || err != nil {
		t.Errorf("wrong password: %v %q %v", ok, answer, err)
	}
	if got := f.take(); len(got) != 2 || got[0] != [4]string{"alice", "secret", "csync", "realm.test"} {
		t.Errorf("requests %q", got)
	}
	// the answer is cut at 1023 bytes, as libsasl reads it
	long := startSaslauthd(t, func([4]string) []byte { return counted("OK" + strings.Repeat("x", 2000)) })
	if ok, answer, err := SaslauthdQuery(ctx, long.path, "a", "b", "c", ""); !ok || len(answer) != 1023 || err != nil {
		t.Errorf("long answer: %v %d %v", ok, len(answer), err)
	}
	for name, reply := range map[string][]byte{
		"short count": counted("O"),
		"no count":    {0},
		"cut answer":  append(binary.BigEndian.AppendUint16(nil, 10), "OK"...),
	} {
		bad := startSaslauthd(t, func([4]string) []byte { return reply })
		if ok, _, err := SaslauthdQuery(ctx, bad.path, "a", "b", "c", ""); ok || err == nil {
			t.Errorf("%s: %v %v", name, ok, err)
		}
	}
	if _, _, err := SaslauthdQuery(ctx, filepath.Join(t.TempDir(), "none"), "a", "b", "c", ""); err == nil ||
		!strings.Contains(err.Error(), "cannot connect to saslauthd server") {
		t.Errorf("no server: %v", err)
	}
	if _, _, err := SaslauthdQuery(ctx, f.path, "a", strings.Repeat("p", 8170), "csync", ""); err == nil {
		t.Error("request over 8162 bytes accepted")
	}
	// a saslauthd that never answers: ctx ends the wait
	hang := startSaslauthd(t, func([4]string) []byte { time.Sleep(time.Hour); return nil })
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := SaslauthdQuery(tctx, hang.path, "a", "b", "c", ""); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("hanging saslauthd: %v after %v", err, time.Since(start))
	}
}

// The checker sends saslauthd the canonical userid split at its last '@'
// (no realm without one), the password as a C string, service csync.
func TestCheckerSaslauthd(t *testing.T) {
	f := startSaslauthd(t, users(map[string]string{
		"alice realm.test": "secret", "carol ": "carolpw", "a@b c": "abc", "bob ": "pw"}))
	c := mustChecker(t, "sasl_pwcheck_method: saslauthd", "sasl_saslauthd_path: "+f.path)
	checkAll(t, c, []login{
		{"alice@realm.test", "secret", OK},
		{"alice@realm.test", "x", BadAuth},
		{"carol", "carolpw", OK},
		{"a@b@c", "abc", OK},
		{" Bob ", "pw\x00ignored", OK},
		{"car:ol", "carolpw", BadAuth}, // refused before asking
	})
	want := [][4]string{
		{"alice", "secret", "csync", "realm.test"},
		{"alice", "x", "csync", "realm.test"},
		{"carol", "carolpw", "csync", ""},
		{"a@b", "abc", "csync", "c"},
		{"bob", "pw", "csync", ""},
	}
	if got := f.take(); len(got) != len(want) {
		t.Errorf("requests %q, want %q", got, want)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("request %d: %q, want %q", i, got[i], want[i])
			}
		}
	}
}

func TestCheckerAuthdaemond(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authdaemond")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var queries []string
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			var q strings.Builder
			for {
				line, err := r.ReadString('\n')
				q.WriteString(line)
				if err != nil || line == "\n" {
					break
				}
			}
			mu.Lock()
			queries = append(queries, q.String())
			mu.Unlock()
			if strings.Contains(q.String(), "\nsecret\n") {
				io.WriteString(c, "UID=8\nGID=8\n.\n")
			} else {
				io.WriteString(c, "FAIL\n")
			}
			c.Close()
		}
	}()
	c := mustChecker(t, "sasl_pwcheck_method: authdaemond", "sasl_authdaemond_path: "+path)
	checkAll(t, c, []login{{"alice@realm.test", "secret", OK}, {"alice@realm.test", "x", BadAuth}})
	mu.Lock()
	defer mu.Unlock()
	if len(queries) != 2 || queries[0] != "AUTH 36\ncsync\nlogin\nalice@realm.test\nsecret\n\n" {
		t.Errorf("queries %q", queries)
	}
	// Debian's default path is /dev/null: no daemon there
	c = mustChecker(t, "sasl_pwcheck_method: authdaemond")
	checkAll(t, c, []login{{"alice", "x", Fail}})
}
