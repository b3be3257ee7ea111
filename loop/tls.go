package loop

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/diskdb/diskdb/store/command"
	"github.com/diskdb/diskdb/tuning"
)

// TLSOptions configure the TLS listener. Zero fields take the defaults
// noted.
type TLSOptions struct {
	Addrs    []string // host:port to listen on (required)
	CertFile string   // server certificate chain, PEM (required)
	KeyFile  string   // its private key, PEM (required)
	CAFile   string   // CA bundle that signs client certificates, PEM
	// AuthClients is tls-auth-clients: "yes" (a client certificate signed
	// by CAFile is required; the default), "optional" (verified when sent)
	// or "no".
	AuthClients string
	Logger      *slog.Logger
}

// TLSServer serves the command layer over TLS (Go's crypto/tls, TLS 1.2
// and later): one goroutine per connection runs the connection's loop (the
// command.Client contract: Serve and OnClose on that goroutine), a second
// one reads the socket.
type TLSServer struct {
	opts TLSOptions
	cmd  *command.Server
	cfg  *tls.Config
	lns  []net.Listener
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  map[*tconn]struct{}
	closed bool
}

// TLSConfig builds the server's tls.Config from the options: minimum TLS
// 1.2, client certificates as AuthClients says.
func TLSConfig(o TLSOptions) (*tls.Config, error) {
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, errors.New("tls: tls-cert-file and tls-key-file are required")
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading certificate: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	auth := o.AuthClients
	if auth == "" {
		auth = "yes"
	}
	if auth != "no" {
		if o.CAFile == "" {
			return nil, errors.New("tls: tls-ca-cert-file is required to authenticate clients (or set tls-auth-clients no)")
		}
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: no certificate in %s", o.CAFile)
		}
		cfg.ClientCAs = pool
	}
	switch auth {
	case "yes":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "no":
		cfg.ClientAuth = tls.NoClientCert
	default:
		return nil, fmt.Errorf("tls: tls-auth-clients must be yes, no or optional, not %q", auth)
	}
	return cfg, nil
}

// NewTLS prepares a TLS listener serving cmd; it fails when the
// certificates cannot be loaded.
func NewTLS(opts TLSOptions, cmd *command.Server) (*TLSServer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg, err := TLSConfig(opts)
	if err != nil {
		return nil, err
	}
	return &TLSServer{opts: opts, cmd: cmd, cfg: cfg, conns: map[*tconn]struct{}{}}, nil
}

// Start opens the listeners and begins accepting.
func (s *TLSServer) Start() error {
	if len(s.opts.Addrs) == 0 {
		return errors.New("tls: no address to listen on")
	}
	lc := net.ListenConfig{KeepAlive: -1} // set per connection from tcp-keepalive
	for _, a := range s.opts.Addrs {
		ln, err := lc.Listen(context.Background(), "tcp", a)
		if err != nil {
			for _, l := range s.lns {
				l.Close()
			}
			return err
		}
		s.lns = append(s.lns, ln)
	}
	for _, ln := range s.lns {
		s.wg.Add(1)
		go s.accept(ln)
	}
	return nil
}

// Stop closes the listeners and every connection, and waits for their
// goroutines.
func (s *TLSServer) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for _, ln := range s.lns {
		ln.Close()
	}
	for t := range s.conns {
		t.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Name reports the backend.
func (s *TLSServer) Name() string { return "tls" }

func (s *TLSServer) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if !errors.Is(err, net.ErrClosed) {
				s.opts.Logger.Warn("tls accept", "err", err)
			}
			return
		}
		s.wg.Add(1)
		go s.serve(nc)
	}
}

// tconn adapts a TLS connection to the command layer's Conn.
type tconn struct {
	raw     net.Conn
	tc      *tls.Conn
	wake    chan struct{} // Wake: cap 1, coalesced
	kill    chan struct{} // closed by Close
	once    sync.Once
	fd      int
	raddr   string
	laddr   string
	writing atomic.Int64 // bytes of the write in progress (output not yet taken by the kernel)
}

func (t *tconn) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Close asks the loop to write what it was handed and close. A loop stuck
// writing to a peer that does not read gives up after a second.
func (t *tconn) Close() {
	t.once.Do(func() {
		close(t.kill)
		_ = t.raw.SetWriteDeadline(time.Now().Add(time.Second))
	})
}

func (t *tconn) RemoteAddr() string { return t.raddr }
func (t *tconn) LocalAddr() string  { return t.laddr }

// Fd is the socket's descriptor (CLIENT LIST fd=).
func (t *tconn) Fd() int { return t.fd }

// OutboundBuffered is the output handed to the connection and not yet
// written to the socket.
func (t *tconn) OutboundBuffered() int { return int(t.writing.Load()) }

func socketFd(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	fd := 0
	_ = rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

const tlsHandshakeTimeout = 10 * time.Second

func (s *TLSServer) serve(nc net.Conn) {
	defer s.wg.Done()
	tc := tls.Server(nc, s.cfg)
	t := &tconn{raw: nc, tc: tc, wake: make(chan struct{}, 1), kill: make(chan struct{}), fd: socketFd(nc),
		raddr: addrString(nc.RemoteAddr()), laddr: addrString(nc.LocalAddr())}
	_ = tuning.KeepAlive(t.fd, int(s.cmd.Config().Int("tcp-keepalive")))
	_ = nc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		s.opts.Logger.Debug("tls handshake failed", "addr", t.raddr, "err", err)
		nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[t] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, t)
		s.mu.Unlock()
	}()

	cl, reject := s.cmd.NewClient(t)
	if cl == nil {
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = tc.Write(reject)
		tc.Close()
		return
	}
	in := make(chan []byte)
	ack := make(chan struct{}, 1)
	readerDone := make(chan struct{})
	go t.read(in, ack, readerDone)
	t.loop(cl, in, ack)
	t.once.Do(func() { close(t.kill) })
	nc.Close()
	<-readerDone
	cl.OnClose()
}

// read hands what arrives on the socket to the loop, one chunk at a time:
// the buffer is reused once the loop acknowledges it (Serve copies it).
func (t *tconn) read(in chan<- []byte, ack <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 16<<10)
	for {
		n, err := t.tc.Read(buf)
		if n > 0 {
			select {
			case in <- buf[:n]:
			case <-t.kill:
				return
			}
			select {
			case <-ack:
			case <-t.kill:
				return
			}
		}
		if err != nil {
			close(in)
			return
		}
	}
}

// loop is the connection's loop goroutine: input, wake-ups and the close
// request each make it call Serve and write the output. It returns when
// the connection must close.
func (t *tconn) loop(cl *command.Client, in <-chan []byte, ack chan<- struct{}) {
	for {
		var out []byte
		var closeAfter bool
		select {
		case data, ok := <-in:
			if !ok {
				return
			}
			out, closeAfter = cl.Serve(data)
			ack <- struct{}{}
		case <-t.wake:
			out, closeAfter = cl.Serve(nil)
		case <-t.kill:
			out, _ = cl.Serve(nil)
			closeAfter = true
		}
		if len(out) > 0 {
			t.writing.Store(int64(len(out)))
			_, err := t.tc.Write(out)
			t.writing.Store(0)
			if err != nil {
				return
			}
		}
		if closeAfter {
			return
		}
	}
}
