package command

import (
	"crypto/rand"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// Version is the Redis version DiskDB reports (INFO, HELLO): the reference
// it is compatible with.
const Version = "7.0.15"

// DiskDBVersion is DiskDB's own version.
const DiskDBVersion = "0.1.0"

// Server is the command layer's shared state: the engine, settings, the
// client registry and statistics.
type Server struct {
	eng   *store.Engine
	cfg   *Config
	log   *slog.Logger
	start time.Time
	runID string

	clientsMu sync.Mutex
	clients   map[int64]*Client

	nextClientID atomic.Int64
	maxBatchV    atomic.Int64
	maxBulk      atomic.Int64
	queryLimit   atomic.Int64
	maxClients   atomic.Int64
	inlineExec   atomic.Bool // exec-inline: run tasks on the loop goroutine when the shard is idle

	slowlogThreshold atomic.Int64
	stats            serverStats
	errMu            sync.Mutex
	errStats         map[string]*atomic.Int64
	adm              adminState   // CLIENT PAUSE, saves, DEBUG (cmd_server.go)
	acl              aclRegistry  // users and the ACL log (acl.go)
	lim              limitState   // client limits (limits.go)
	mon              monitorHub   // MONITOR clients (introspect.go)
	lat              latencyState // latency monitor and histograms (introspect.go)

	// Backend reports which network backend serves (INFO server).
	Backend string
	// Shutdown is called by SHUTDOWN; set by the program that runs the server.
	Shutdown func()
}

type serverStats struct {
	conns    atomic.Int64
	rejected atomic.Int64
	commands atomic.Int64
	netIn    atomic.Int64
	netOut   atomic.Int64
}

type cmdStats struct {
	calls    atomic.Int64
	usec     atomic.Int64
	failed   atomic.Int64
	rejected atomic.Int64
	lat      cmdLatency // latency histogram (introspect.go)
}

// NewServer wires the command layer to an open engine and settings.
func NewServer(eng *store.Engine, cfg *Config, log *slog.Logger) *Server {
	s := &Server{
		eng:      eng,
		cfg:      cfg,
		log:      log,
		start:    time.Now(),
		clients:  map[int64]*Client{},
		errStats: map[string]*atomic.Int64{},
		runID:    randomHex(40),
		Backend:  "epoll",
	}
	s.acl.init()
	for _, p := range params {
		if p.apply != nil {
			p.apply(s, cfg.Get(p.Name))
		}
	}
	return s
}

// Engine returns the storage engine.
func (s *Server) Engine() *store.Engine { return s.eng }

// Config returns the settings.
func (s *Server) Config() *Config { return s.cfg }

// NewClient registers a connection. When maxclients is reached it returns
// nil and the error reply to send before closing.
func (s *Server) NewClient(c Conn) (*Client, []byte) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if int64(len(s.clients)) >= s.maxClients.Load() {
		s.stats.rejected.Add(1)
		return nil, proto.AppendError(nil, "ERR max number of clients reached")
	}
	if deny := s.protectedReject(c); deny != nil {
		s.stats.rejected.Add(1)
		return nil, deny
	}
	cl := newClient(s, c)
	s.clients[cl.id] = cl
	s.stats.conns.Add(1)
	return cl, nil
}

func (s *Server) removeClient(cl *Client) {
	s.clientsMu.Lock()
	delete(s.clients, cl.id)
	s.clientsMu.Unlock()
}

// ClientCount returns the number of connected clients.
func (s *Server) ClientCount() int {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	return len(s.clients)
}

// CloseAll closes every client connection (shutdown).
func (s *Server) CloseAll() {
	s.clientsMu.Lock()
	cls := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		cls = append(cls, cl)
	}
	s.clientsMu.Unlock()
	for _, cl := range cls {
		cl.conn.Close()
	}
}

func (s *Server) protoLimits() proto.Limits {
	return proto.Limits{MaxBulkLen: s.maxBulk.Load()}
}

// authRequired reports whether a client that has not authenticated must:
// the default user has a password or is off.
func (s *Server) authRequired() bool { return s.acl.defaultNeedsAuth() }

func (s *Server) queryBufLimit() int { return int(s.queryLimit.Load()) }

// QueryBufferLimit returns client-query-buffer-limit in bytes.
func (s *Server) QueryBufferLimit() int { return s.queryBufLimit() }

func (s *Server) maxBatch() int { return int(s.maxBatchV.Load()) }

// call runs a handler with statistics.
func (s *Server) call(c *Ctx) {
	s.beforeCall(c)
	start := time.Now()
	outStart := len(c.Out)
	if trackingClients.Load() > 0 {
		// Client-side caching (tracking.go) sees every command run.
		tracked(c)
	} else {
		c.Spec.Handler(c)
	}
	d := time.Since(start)
	st := c.Spec.stats
	st.calls.Add(1)
	st.usec.Add(int64(d / time.Microsecond))
	if c.Failed {
		st.failed.Add(1)
	}
	s.stats.commands.Add(1)
	c.Cl.lastTouch.Store(start.UnixMilli())
	if th := s.slowlogThreshold.Load(); th >= 0 && int64(d/time.Microsecond) >= th {
		s.slowlogAdd(c, start, d)
	}
	s.afterCall(c, d, outStart)
}

// countError counts an error reply by its code (INFO errorstats).
func (s *Server) countError(msg string) {
	code := msg
	if i := strings.IndexByte(msg, ' '); i > 0 {
		code = msg[:i]
	}
	s.errMu.Lock()
	n := s.errStats[code]
	if n == nil {
		n = &atomic.Int64{}
		s.errStats[code] = n
	}
	s.errMu.Unlock()
	n.Add(1)
}

var logLevel = new(slog.LevelVar)

// LogLevel is the level variable the program's logger should use, so that
// CONFIG SET loglevel takes effect.
func LogLevel() *slog.LevelVar { return logLevel }

func setLogLevel(v string) {
	switch v {
	case "debug", "verbose":
		logLevel.Set(slog.LevelDebug)
	case "warning":
		logLevel.Set(slog.LevelWarn)
	case "nothing":
		logLevel.Set(slog.LevelError + 4)
	default:
		logLevel.Set(slog.LevelInfo)
	}
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, n)
	for _, c := range b {
		out = append(out, hexd[c>>4], hexd[c&15])
	}
	return string(out)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

type atomicInt = atomic.Int64

func storeMatch(pattern, s []byte, nocase bool) bool { return store.Match(pattern, s, nocase) }

// NewSession returns a group-commit session for one backend loop
// (SessionConn): the loop must Flush it before it waits for I/O.
func (s *Server) NewSession() *store.Session { return s.eng.NewSession() }
