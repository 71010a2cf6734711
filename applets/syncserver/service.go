package syncserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
)

// The descriptors Cyrus's master hands a service.
//
// cyrus: master/service.h STATUS_FD, LISTEN_FD (3.6.1)
const (
	statusFD = 3
	listenFD = 4
)

// The messages a service writes to master on the status pipe.
//
// cyrus: master/service.h MASTER_SERVICE_* (3.6.1)
const (
	msgAvailable   = 1
	msgUnavailable = 2
	msgConnection  = 3
)

// Defaults of the service wrapper's -U and -T.
//
// cyrus: master/service.c MAX_USE, REUSE_TIMEOUT (3.6.1)
const (
	defaultMaxUse       = 250
	defaultReuseTimeout = 60
)

// wrapperOptions are the options Cyrus's service wrapper takes for itself
// before the program sees its own.
type wrapperOptions struct {
	config       string // -C
	maxUse       int    // -U
	reuseTimeout int    // -T, seconds
	debugger     bool   // -D
	stdio        bool   // -X
}

// errMerged is the wrapper's refusal of an option word that is not just
// "-x" (Cyrus logs it and exits EX_USAGE).
var errMerged = errors.New("options and arguments MUST be separated by whitespace")

// splitWrapperArgs takes the wrapper's options out of args (argv without
// argv[0]) and returns them with the words the program parses itself, as
// service.c's getopt("C:U:T:DX") loop does with error reports off: an
// unknown option is passed on with the next word unless that starts with
// '-', operands go last, and any option word longer than two characters
// (-C/x.conf, -U5, -DX, even the program's -p1) is refused.
//
// cyrus: master/service.c main (3.6.1)
func splitWrapperArgs(args []string) (wrapperOptions, []string, error) {
	w := wrapperOptions{maxUse: defaultMaxUse, reuseTimeout: defaultReuseTimeout}
	var prog, operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			i = len(args)
			continue
		case len(a) < 2 || a[0] != '-':
			operands = append(operands, a) // glibc permutes operands to the end
			continue
		case len(a) > 2:
			return w, nil, errMerged
		}
		switch c := a[1]; c {
		case 'C', 'U', 'T':
			if i+1 >= len(args) {
				prog = append(prog, a) // getopt's '?': passed on
				continue
			}
			i++
			v := args[i]
			if len(v) > 2 && v[0] == '-' {
				return w, nil, errMerged // the check looks at the word getopt last took
			}
			switch c {
			case 'C':
				w.config = v
			case 'U':
				w.maxUse = max(cAtoi(v), 0)
			case 'T':
				w.reuseTimeout = max(cAtoi(v), 0)
			}
		case 'D':
			w.debugger = true
		case 'X':
			w.stdio = true
		default:
			prog = append(prog, a)
			if i+1 < len(args) && (args[i+1] == "" || args[i+1][0] != '-') {
				i++
				prog = append(prog, args[i])
			}
		}
	}
	return w, append(prog, operands...), nil
}

// serviceEnv is what master puts in the environment of a service.
type serviceEnv struct {
	name string // CYRUS_SERVICE: the cyrus.conf entry, also the syslog ident
	id   int    // CYRUS_ID: the listener's index
}

// readServiceEnv reads CYRUS_SERVICE and CYRUS_ID; without them Cyrus's
// wrapper exits EX_SOFTWARE.
//
// cyrus: master/service.c main (3.6.1)
func readServiceEnv() (serviceEnv, error) {
	name, ok := os.LookupEnv("CYRUS_SERVICE")
	if !ok {
		return serviceEnv{}, &cyrus.Fatal{Msg: "could not getenv(CYRUS_SERVICE); exiting", Code: cyrus.ExitSoftware}
	}
	id, ok := os.LookupEnv("CYRUS_ID")
	if !ok {
		return serviceEnv{}, &cyrus.Fatal{Msg: "could not getenv(CYRUS_ID); exiting", Code: cyrus.ExitSoftware}
	}
	return serviceEnv{name: name, id: cAtoi(id)}, nil
}

// inheritedFDs checks, before anything else can open a file and take their
// numbers, that fd 3 is master's status pipe and fd 4 a stream socket, and
// marks both close-on-exec as Cyrus's wrapper does.
func inheritedFDs() (status *os.File, listener net.Listener, unix bool, err error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(statusFD, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return nil, nil, false, fmt.Errorf("fd %d is not master's status pipe (not started by Cyrus master?)", statusFD)
	}
	typ, err := syscall.GetsockoptInt(listenFD, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return nil, nil, false, fmt.Errorf("getsockopt: SOL_SOCKET: failed to get type: %w", err)
	}
	if typ != syscall.SOCK_STREAM {
		return nil, nil, false, fmt.Errorf("fd %d: not a stream socket", listenFD)
	}
	sa, err := syscall.Getsockname(listenFD)
	if err != nil {
		return nil, nil, false, fmt.Errorf("getsockname: failed: %w", err)
	}
	_, unix = sa.(*syscall.SockaddrUnix)
	syscall.CloseOnExec(statusFD)
	syscall.CloseOnExec(listenFD)
	lf := os.NewFile(listenFD, "listener")
	l, err := net.FileListener(lf) // a dup: master's copy is untouched
	lf.Close()
	if err != nil {
		return nil, nil, false, fmt.Errorf("listening socket: %w", err)
	}
	return os.NewFile(statusFD, "master status pipe"), l, unix, nil
}

// service is one process of a Cyrus master service: it accepts a
// connection only while idle, tells master when it is busy and idle again,
// serves up to -U connections and leaves when idle for -T seconds or told
// to (HUP, TERM).
//
// cyrus: master/service.c main (3.6.1)
type service struct {
	status   *os.File
	listener net.Listener
	maxUse   int
	reuse    time.Duration // 0: never time out
	log      *slog.Logger
}

// newService prepares the loop; reuseTimeout is drawn once, as Cyrus does,
// from [T, 2T-1] so that children started together do not all leave
// together.
func newService(status *os.File, l net.Listener, w wrapperOptions, log *slog.Logger) *service {
	s := &service{status: status, listener: l, maxUse: max(w.maxUse, 1), log: log}
	if t := w.reuseTimeout; t > 0 {
		s.reuse = time.Duration(t+rand.IntN(t)) * time.Second
	}
	return s
}

// tell writes one message to master: message and pid in native byte order,
// in one write. Errors are ignored: master may be gone.
//
// cyrus: master/service.c notify_master (3.6.1)
func (s *service) tell(msg int32) {
	var b [8]byte
	binary.NativeEndian.PutUint32(b[:4], uint32(msg))
	binary.NativeEndian.PutUint32(b[4:], uint32(os.Getpid()))
	s.status.Write(b[:])
}

// serveFunc runs one session; shutdown and hangup are closed on TERM and
// HUP (see protocol.ServerOptions).
type serveFunc func(ctx context.Context, c net.Conn, shutdown, hangup <-chan struct{})

// run is the wrapper's loop. It returns when the process should exit 0:
// HUP, TERM (idle), the reuse timeout or -U connections served.
func (s *service) run(ctx context.Context, serve serveFunc) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGALRM)
	defer signal.Stop(sigs)
	// Go's defaults for these would kill us, which master counts as a
	// failure; Cyrus ignores PIPE and uses USR1/USR2 for its own ends.
	signal.Ignore(syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2)

	shutdown, hangup := make(chan struct{}), make(chan struct{})
	var stopping bool
	stopWith := func(sig os.Signal) {
		if sig == syscall.SIGHUP {
			if !stopping {
				close(hangup)
			}
		} else {
			select {
			case <-shutdown:
			default:
				close(shutdown)
			}
		}
		stopping = true
	}
	for uses := 0; ; {
		c, err := s.accept(ctx, sigs, uses > 0, stopWith)
		if err != nil || c == nil {
			return err
		}
		s.tell(msgUnavailable)
		s.log.Debug("accepted connection")
		s.tell(msgConnection)
		uses++
		done := make(chan struct{})
		go func() {
			defer close(done)
			// TERM reaches the session through shutdown, so that it can
			// say BYE; ctx (cancelled on TERM by main) must not cut it.
			serve(context.WithoutCancel(ctx), c, shutdown, hangup)
		}()
		ctxDone := ctx.Done()
	session:
		for {
			select {
			case sig := <-sigs:
				stopWith(sig)
			case <-ctxDone:
				stopWith(syscall.SIGTERM)
				ctxDone = nil
			case <-done:
				break session
			}
		}
		if stopping || uses >= s.maxUse {
			return nil
		}
		s.tell(msgAvailable)
	}
}

// accept waits for the next connection, or for a reason to leave (nil
// connection): a signal, the reuse timeout (armed after the first
// session), ctx.
func (s *service) accept(ctx context.Context, sigs <-chan os.Signal, reused bool, stopWith func(os.Signal)) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	got := make(chan result, 1)
	go func() {
		c, err := s.listener.Accept()
		got <- result{c, err}
	}()
	var timeout <-chan time.Time
	if reused && s.reuse > 0 {
		t := time.NewTimer(s.reuse)
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case r := <-got:
			if r.err != nil {
				if isTransientAccept(r.err) {
					go func() {
						c, err := s.listener.Accept()
						got <- result{c, err}
					}()
					continue
				}
				s.log.Error(fmt.Sprintf("accept failed: %v", r.err))
				return nil, &cyrus.Fatal{Code: exitOSErr}
			}
			return r.c, nil
		case sig := <-sigs:
			stopWith(sig)
		case <-timeout:
		case <-ctx.Done():
		}
		// Leaving: stop the pending accept. A connection that arrived
		// meanwhile stays in master's queue for another child.
		s.listener.Close()
		if r := <-got; r.c != nil {
			r.c.Close()
		}
		return nil, nil
	}
}

// exitOSErr is EX_OSERR, the wrapper's status for a failed accept.
const exitOSErr = 71

// isTransientAccept tells the accept errors Cyrus's wrapper retries.
//
// cyrus: master/service.c main (3.6.1)
func isTransientAccept(err error) bool {
	for _, e := range []syscall.Errno{syscall.EINTR, syscall.ENETDOWN, syscall.EPROTO, syscall.ENOPROTOOPT,
		syscall.EHOSTDOWN, syscall.ENONET, syscall.EHOSTUNREACH, syscall.EOPNOTSUPP, syscall.ENETUNREACH,
		syscall.ECONNABORTED, syscall.EAGAIN} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
