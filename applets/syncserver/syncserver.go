// Package syncserver is the sync_server applet: the replica side of Cyrus
// replication, on Cyrus 3.6's command line, run by Cyrus's master from
// cyrus.conf (`syncserver cmd="sync_server" listen="csync"`) or, ours, on
// its own with --listen.
//
// cyrus: imap/sync_server.c, master/service.c (3.6.1)
package syncserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/protocol/pwcheck"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// usageLine is what Cyrus's sync_server means to print on a bad option (it
// writes it to a stream not yet open and dies of SIGSEGV; ours exits 64).
const usageLine = "* usage: sync_server [-C <alt_config>]"

// Options is sync_server's own command line.
type Options struct {
	// SSF is -p: the strength of an external security layer (e.g.
	// stunnel) declared to SASL; above 0 allows plaintext logins.
	SSF int
	// Force is -f: accepted and without effect, as in Cyrus 3.6–3.12.
	Force bool
	// Listen is --listen ADDR (ours): serve without Cyrus's master on a
	// TCP address or, if it starts with '/', a UNIX socket.
	Listen string
	// Config is -C in --listen mode (under master the wrapper takes it).
	Config string
}

// parseProgramArgs reads the program's own options, getopt("p:f") as
// sync_server's service_init does.
func parseProgramArgs(args []string) (*Options, error) {
	opts, _, errs := programFlags.Parse(args)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	o := &Options{}
	for _, op := range opts {
		switch op.Name {
		case 'p':
			o.SSF = cAtoi(op.Arg)
		case 'f':
			o.Force = true
		}
	}
	return o, nil
}

// Main runs sync_server. argv[0] is the name it was invoked as.
func Main(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	for _, a := range argv[1:] {
		if a == "--help" || a == "-h" {
			fmt.Fprint(stdout, flags.Help())
			return nil
		}
	}
	if hasListen(argv[1:]) {
		return listenMain(ctx, argv, stderr)
	}
	w, progArgs, err := splitWrapperArgs(argv[1:])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv[0], err)
		return &cyrus.Fatal{Code: cyrus.ExitUsage}
	}
	svc, err := readServiceEnv()
	if err != nil {
		return err
	}
	// Master's descriptors are checked before anything can open a file.
	var status *os.File
	var listener net.Listener
	var fdErr error
	if !w.stdio {
		status, listener, _, fdErr = inheritedFDs()
	}
	env, err := cyrus.Init(cyrus.Options{ConfigPath: w.config, Ident: svc.name, Need: conf.NeedPartitionData})
	if err != nil {
		return err
	}
	defer env.Close()
	if os.Geteuid() == 0 {
		return &cyrus.Fatal{Msg: "must run as the Cyrus user", Code: cyrus.ExitUsage}
	}
	if fdErr != nil {
		env.Log.Error(fdErr.Error())
		return &cyrus.Fatal{Msg: fdErr.Error(), Code: 1}
	}
	o, err := parseProgramArgs(progArgs)
	if err != nil {
		env.Log.Error(fmt.Sprintf("%s: %v", argv[0], err))
		fmt.Fprintln(stderr, usageLine)
		return &cyrus.Fatal{Code: cyrus.ExitUsage}
	}
	srv, err := newServer(env, o)
	if err != nil {
		return err
	}
	if w.debugger {
		runDebugger(env, argv[0], svc.name)
	}
	env.Log.Debug("executed")
	serialRuntime()
	if w.stdio {
		return srv.serveStdio(ctx, stdin, stdout)
	}
	return newService(status, listener, w, env.Log).run(ctx, srv.serve)
}

// hasListen tells whether the command line asks for our --listen mode.
func hasListen(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--listen" || strings.HasPrefix(a, "--listen=") {
			return true
		}
	}
	return false
}

// server is what every session of the process shares.
type server struct {
	env   *cyrus.Env
	opts  *Options
	spool *spool.Spool
	base  protocol.ServerOptions
	// forceAll is APPLY FORCE for the rest of the process (Cyrus's
	// opt_force); with sessionForce (--listen) it is per session instead.
	forceAll     atomic.Bool
	sessionForce bool
	// sessions numbers the sessions, for their staging directories.
	sessions atomic.Int64
}

// newServer prepares the sessions' options from imapd.conf.
func newServer(env *cyrus.Env, o *Options) (*server, error) {
	cfg := env.Config
	sp, err := spool.Open(cfg)
	if err != nil {
		return nil, &cyrus.Fatal{Msg: err.Error(), Code: cyrus.ExitConfig}
	}
	if err := sp.CreateMailboxList(); err != nil {
		return nil, &cyrus.Fatal{Msg: err.Error(), Code: cyrus.ExitTempFail}
	}
	sp.SetSieveCompiler(cyrus.SieveCompiler(os.Args[0], cfg), env.Log)
	tlsConfig, err := serverTLS(cfg)
	if err != nil {
		return nil, &cyrus.Fatal{Msg: err.Error(), Code: cyrus.ExitConfig}
	}
	limits := dlist.DefaultLimits()
	if n := cfg.MaxWord(); n > 0 {
		limits.MaxAtom = n
	}
	if n := cfg.MaxQuoted(); n > 0 {
		limits.MaxQuoted = n
	}
	if n := cfg.MaxLiteral(); n > 0 {
		limits.MaxLiteral = n
	}
	auth, err := pwcheck.New(cfg)
	if err != nil {
		return nil, &cyrus.Fatal{Msg: err.Error(), Code: cyrus.ExitConfig}
	}
	auth.Logger = env.Log
	s := &server{env: env, opts: o, spool: sp}
	s.base = protocol.ServerOptions{
		ServerName:       cfg.ServerName(),
		Version:          bannerVersion(env.Version),
		Admins:           cfg.Admins(),
		Auth:             auth,
		TLSConfig:        tlsConfig,
		AllowPlaintext:   cfg.AllowPlaintext() || o.SSF > 0,
		FailedLoginPause: cfg.FailedLoginPause(),
		Timeout:          cfg.SyncTimeout(),
		// cyrus: imap/sync_server.c cmdloop (3.10.2); 3.6 has none of it
		ReplicationArchive: cfg.Version.AtLeast(conf.V3_10),
		ArchiveEnabled:     cfg.ArchiveEnabled(),
		Limits:             &limits,
		Logger:             env.Log,
	}
	return s, nil
}

// serialRuntime gives the Go runtime one processor when the process serves
// one session at a time, as under master or on stdio: the protocol is
// stop-and-wait, so a second processor only lets the runtime wake idle
// threads at every goroutine hand-off and garbage collection, CPU that
// Cyrus's single-threaded server does not spend. GOMAXPROCS in the
// environment still decides.
func serialRuntime() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

// serverTLS is the STARTTLS configuration: offered when tls_server_cert
// and tls_server_key are set and not "disabled", as Cyrus's tls_enabled,
// and, from 3.10.2 on, only when allowstarttls is on (its default is off).
//
// cyrus: imap/tls.c tls_enabled, tls_starttls_enabled (3.6.1, 3.10.2)
func serverTLS(cfg *conf.Config) (*tls.Config, error) {
	cert, ok1 := cfg.TLSServerCert()
	key, ok2 := cfg.TLSServerKey()
	if !ok1 || !ok2 || cert == "" || key == "" || strings.EqualFold(cert, "disabled") || strings.EqualFold(key, "disabled") {
		return nil, nil
	}
	if cfg.Has("allowstarttls") && !cfg.Switch("allowstarttls") {
		return nil, nil
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("TLS server engine: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}, nil
}

// serve runs one session on c: a peer on a UNIX socket is cyrus_user, an
// admin, as in Cyrus's sync_server.
func (s *server) serve(ctx context.Context, c net.Conn, shutdown, hangup <-chan struct{}) {
	opts := s.base
	opts.Shutdown, opts.Hangup = shutdown, hangup
	if _, unix := c.LocalAddr().(*net.UnixAddr); unix {
		opts.PreAuth = s.env.Config.CyrusUser()
	} else if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	stage := strconv.Itoa(os.Getpid())
	if n := s.sessions.Add(1); s.sessionForce && n > 1 {
		stage += "." + strconv.FormatInt(n, 10) // one process, many sessions at once
	}
	r := newReplica(s, stage)
	opts.Handler = r
	ctx = pwcheck.WithLocalAddr(ctx, c.LocalAddr()) // virtdomains: the domain of the address dialled
	if err := protocol.ServeCSync(ctx, c, opts); err != nil && !errors.Is(err, net.ErrClosed) {
		s.env.Log.Info(fmt.Sprintf("session ended: %v", err))
	}
}
