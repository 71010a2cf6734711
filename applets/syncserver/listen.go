package syncserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
)

// listenMain is ours: sync_server [-C conf] [-p ssf] [-f] --listen ADDR
// serves without Cyrus's master — one process, a goroutine per
// connection — until TERM or INT, which end every session as Cyrus's do
// (BYE shutting down) and then the process, with status 0.
func listenMain(ctx context.Context, argv []string, stderr io.Writer) error {
	opts, operands, errs := listenFlags.Parse(argv[1:])
	if len(errs) == 0 && len(operands) > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q", operands[0]))
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "%s: %v\nusage: %s\n", argv[0], errs[0], listenFlags.Usage)
		return &cyrus.Fatal{Code: cyrus.ExitUsage}
	}
	o := &Options{}
	for _, op := range opts {
		switch op.Name {
		case 'C':
			o.Config = op.Arg
		case 'p':
			o.SSF = cAtoi(op.Arg)
		case 'f':
			o.Force = true
		case 0:
			o.Listen = op.Arg // --listen
		}
	}
	env, err := cyrus.Init(cyrus.Options{ConfigPath: o.Config, Ident: "sync_server", Need: conf.NeedPartitionData})
	if err != nil {
		return err
	}
	defer env.Close()
	if os.Geteuid() == 0 {
		return &cyrus.Fatal{Msg: "must run as the Cyrus user", Code: cyrus.ExitUsage}
	}
	srv, err := newServer(env, o)
	if err != nil {
		return err
	}
	srv.sessionForce = true
	network := "tcp"
	if strings.HasPrefix(o.Listen, "/") {
		network = "unix"
		os.Remove(o.Listen) // a stale socket from an earlier run, as master does
	}
	l, err := net.Listen(network, o.Listen)
	if err != nil {
		return &cyrus.Fatal{Msg: fmt.Sprintf("listen %s: %v", o.Listen, err), Code: exitOSErr}
	}
	env.Log.Info(fmt.Sprintf("listening on %s", l.Addr()))
	return serveListener(ctx, l, srv.serve)
}

// serveListener accepts until ctx ends or TERM/INT/HUP comes, serving each
// connection in its own goroutine; then it tells the sessions to shut down
// and waits for them.
func serveListener(ctx context.Context, l net.Listener, serve serveFunc) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	signal.Ignore(syscall.SIGPIPE)

	shutdown := make(chan struct{})
	never := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(shutdown); l.Close() }) }
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
		}
		stop()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			select {
			case <-shutdown:
				return nil
			default:
			}
			if isTransientAccept(err) {
				continue
			}
			stop()
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return &cyrus.Fatal{Msg: fmt.Sprintf("accept failed: %v", err), Code: exitOSErr}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serve(context.WithoutCancel(ctx), c, shutdown, never)
		}()
	}
}
