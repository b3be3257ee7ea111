// Package loop is DiskDB's portable network backend: gnet reactors (epoll on
// Linux, kqueue on BSD and macOS), one per core, each with its own
// SO_REUSEPORT listener. It moves bytes between sockets and the command layer
// and knows nothing of commands.
package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/diskdb/diskdb/store/command"
	"github.com/diskdb/diskdb/tuning"
)

// Options configure the backend. Zero fields take the defaults noted.
type Options struct {
	Addrs     []string      // host:port to listen on (required)
	Loops     int           // reactors (one per core)
	QuickAck  bool          // set TCP_QUICKACK on accepted sockets (Linux)
	KeepAlive time.Duration // TCP keepalive period (0: off)
	Logger    *slog.Logger
}

// Server runs the gnet reactors.
type Server struct {
	opts    Options
	cmd     *command.Server
	eng     gnet.Engine
	started chan struct{}
	done    chan error
	booted  atomic.Bool

	pausedMu sync.Mutex
	paused   map[*gconn]struct{}
	stopped  chan struct{}
}

// New prepares a backend serving cmd.
func New(opts Options, cmd *command.Server) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{opts: opts, cmd: cmd, started: make(chan struct{}), done: make(chan error, 1), stopped: make(chan struct{})}
}

// Start begins listening; it returns once the listeners are open (or failed).
func (s *Server) Start() error {
	if len(s.opts.Addrs) == 0 {
		return errors.New("loop: no address to listen on")
	}
	addrs := make([]string, len(s.opts.Addrs))
	for i, a := range s.opts.Addrs {
		addrs[i] = "tcp://" + a
	}
	opts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithReusePort(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithReadBufferCap(64 << 10),
		gnet.WithLogger(gnetLogger{s.opts.Logger}),
	}
	if s.opts.Loops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(s.opts.Loops))
	}
	if s.opts.KeepAlive > 0 {
		opts = append(opts, gnet.WithTCPKeepAlive(s.opts.KeepAlive))
	}
	h := &handler{s: s}
	go func() {
		err := gnet.Rotate(h, addrs, opts...)
		if !s.booted.Load() {
			if err == nil {
				err = errors.New("loop: engine stopped before boot")
			}
			s.done <- err
			close(s.started)
			return
		}
		s.done <- err
	}()
	select {
	case <-s.started:
	case <-time.After(10 * time.Second):
		return errors.New("loop: listeners did not start")
	}
	if !s.booted.Load() {
		return <-s.done
	}
	go s.resumeLoop()
	return nil
}

// Stop closes the listeners and every connection.
func (s *Server) Stop(ctx context.Context) error {
	if !s.booted.Load() {
		return nil
	}
	close(s.stopped)
	err := s.eng.Stop(ctx)
	select {
	case <-s.done:
	case <-ctx.Done():
	}
	return err
}

// outputPauseLimit is the unsent output above which a connection's input
// is not processed until the client reads (gnet cannot stop reading a
// socket, so this is how the epoll backend applies back-pressure).
const outputPauseLimit = 64 << 20

// pause queues g to be woken by the resume ticker.
func (s *Server) pause(g *gconn) {
	s.pausedMu.Lock()
	if s.paused == nil {
		s.paused = map[*gconn]struct{}{}
	}
	s.paused[g] = struct{}{}
	s.pausedMu.Unlock()
}

// resumeLoop wakes paused connections every few milliseconds; each one
// checks its output again on its own loop.
func (s *Server) resumeLoop() {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stopped:
			return
		case <-t.C:
		}
		s.pausedMu.Lock()
		list := make([]*gconn, 0, len(s.paused))
		for g := range s.paused {
			list = append(list, g)
		}
		clear(s.paused)
		s.pausedMu.Unlock()
		for _, g := range list {
			g.Wake()
		}
	}
}

// Name reports the backend for INFO.
func (s *Server) Name() string { return "epoll" }

type handler struct {
	gnet.BuiltinEventEngine
	s *Server
}

func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	h.s.eng = eng
	h.s.booted.Store(true)
	close(h.s.started)
	return gnet.None
}

// gconn adapts a gnet connection to the command layer's Conn.
type gconn struct {
	c     gnet.Conn
	cl    *command.Client
	woken atomic.Bool
	fd    int
	raddr string
	laddr string
	qack  bool
}

func (g *gconn) Wake() {
	if g.woken.CompareAndSwap(false, true) {
		_ = g.c.Wake(nil)
	}
}

func (g *gconn) Close()             { _ = g.c.Close() }
func (g *gconn) RemoteAddr() string { return g.raddr }
func (g *gconn) LocalAddr() string  { return g.laddr }

func addrString(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return net.JoinHostPort(t.IP.String(), strconv.Itoa(t.Port))
	}
	if a == nil {
		return ""
	}
	return a.String()
}

func (h *handler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	g := &gconn{c: c, fd: c.Fd(), raddr: addrString(c.RemoteAddr()), laddr: addrString(c.LocalAddr()), qack: h.s.opts.QuickAck}
	cl, reject := h.s.cmd.NewClient(g)
	if cl == nil {
		return reject, gnet.Close
	}
	g.cl = cl
	c.SetContext(g)
	if g.qack {
		_ = tuning.QuickAck(g.fd)
	}
	return nil, gnet.None
}

func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	g, ok := c.Context().(*gconn)
	if !ok {
		return gnet.Close
	}
	g.woken.Store(false)
	if c.OutboundBuffered() > outputPauseLimit {
		// The client does not read its replies: stop running its commands
		// (its input waits in gnet's buffer, bounded by the query buffer
		// limit) and look again shortly.
		if c.InboundBuffered() > h.s.cmd.QueryBufferLimit() {
			return gnet.Close
		}
		h.s.pause(g)
		return gnet.None
	}
	data, _ := c.Next(-1)
	out, closeAfter := g.cl.Serve(data)
	if len(out) > 0 {
		if _, err := c.Write(out); err != nil {
			return gnet.Close
		}
	}
	if closeAfter {
		return gnet.Close
	}
	return gnet.None
}

func (h *handler) OnClose(c gnet.Conn, _ error) gnet.Action {
	if g, ok := c.Context().(*gconn); ok {
		g.cl.OnClose()
	}
	return gnet.None
}

// gnetLogger routes gnet's logs to slog.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error(fmt.Sprintf(f, a...)) }
