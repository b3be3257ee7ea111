// Package testkit starts real servers for tests: the bin/diskdb binary and
// the reference redis-server, each on a free loopback port with its own
// directory, and speaks raw RESP to them. No mocks: tests drive real
// processes over TCP.
package testkit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary returns the path of the diskdb binary under test: $DISKDB_BIN (set
// by make test), or one built from this module into a temporary directory.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("DISKDB_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "diskdb-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "diskdb")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/diskdb")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS=-ldflags=-checklinkname=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("testkit: not inside the module")
	}
	return filepath.Dir(mod), nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Server is a running server process.
type Server struct {
	t    testing.TB
	Addr string
	Port int
	Dir  string
	Log  *bytes.Buffer
	bin  string
	args []string
	cmd  *exec.Cmd
	mu   sync.Mutex
	done chan struct{}
}

// Start runs bin/diskdb on a free port with a fresh data directory and
// waits until it answers PING. Extra args are --name value settings. The
// server is killed when the test ends.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	return StartDir(t, t.TempDir(), args...)
}

// StartDir is Start with a given data directory (to reopen data).
//
// $DISKDB_IO (uring, epoll, auto) picks the network backend unless args
// name one; a test whose server cannot start because io_uring is
// unavailable here is skipped, saying so.
func StartDir(t testing.TB, dir string, args ...string) *Server {
	t.Helper()
	s := &Server{t: t, Port: FreePort(t), Dir: dir, bin: Binary(t)}
	s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
	s.args = []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", dir, "--loglevel", "warning"}
	if io := os.Getenv("DISKDB_IO"); io != "" {
		s.args = append(s.args, "--io", io)
	}
	s.args = append(s.args, args...)
	s.launch()
	t.Cleanup(s.Kill)
	return s
}

// StartRedis runs the reference redis-server (Debian's package) on a free
// port, without persistence unless args say otherwise. The test is skipped
// when redis-server is not installed.
func StartRedis(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed (make deps installs it)")
	}
	s := &Server{t: t, Port: FreePort(t), Dir: t.TempDir(), bin: bin}
	s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
	s.args = append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}, args...)
	s.launch()
	t.Cleanup(s.Kill)
	return s
}

func (s *Server) launch() {
	s.t.Helper()
	s.Log = &bytes.Buffer{}
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout = &lockedWriter{w: s.Log, mu: &s.mu}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	s.done = done
	go func() { _ = s.cmd.Wait(); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			if strings.Contains(s.Logs(), "io_uring unavailable") {
				s.t.Skipf("io_uring backend cannot run here: %s", s.Logs())
			}
			s.t.Fatalf("server exited at start: %s", s.Logs())
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Write([]byte("PING\r\n"))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, "+PONG") {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("server did not answer PING: %s", s.Logs())
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Logs returns what the server printed so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Log.String()
}

// Kill stops the server with SIGKILL (a crash) and waits for it.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// Stop stops the server with SIGTERM (a clean shutdown) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Errorf("server did not stop on SIGTERM: %s", s.Logs())
		s.Kill()
	}
}

// PID returns the server's process id (to inspect /proc/<pid>).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Wait waits up to d for the process to end.
func (s *Server) Wait(d time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Restart starts the server again with the same port, directory and args.
func (s *Server) Restart() {
	s.t.Helper()
	if !s.Exited() {
		s.Kill()
	}
	s.launch()
}

// Raw opens a raw RESP connection to the server.
func (s *Server) Raw() *Conn {
	s.t.Helper()
	c, err := Dial(s.Addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Conn is a raw RESP connection: it sends commands and returns replies as
// the exact bytes the server sent.
type Conn struct {
	net.Conn
	R *bufio.Reader
}

// Dial connects to addr.
func Dial(addr string) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c, R: bufio.NewReaderSize(c, 64<<10)}, nil
}

// Encode returns args as a RESP multibulk command.
func Encode(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// Do sends one command and returns its raw reply (out-of-band pushes that
// arrive first are returned as part of it).
func (c *Conn) Do(args ...string) ([]byte, error) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(Encode(args...)); err != nil {
		return nil, err
	}
	return c.ReadReply()
}

// ReadReply reads one complete RESP2/RESP3 value and returns its bytes.
func (c *Conn) ReadReply() ([]byte, error) {
	var out []byte
	err := readValue(c.R, &out)
	return out, err
}

func readLine(r *bufio.Reader, out *[]byte) (string, error) {
	line, err := r.ReadString('\n')
	*out = append(*out, line...)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("testkit: line without CRLF: %q", line)
	}
	return line[:len(line)-2], nil
}

func readValue(r *bufio.Reader, out *[]byte) error {
	line, err := readLine(r, out)
	if err != nil {
		return err
	}
	if line == "" {
		return errors.New("testkit: empty line")
	}
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return err
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		*out = append(*out, buf...)
		return nil
	case '*', '~', '>':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := readValue(r, out); err != nil {
				return err
			}
		}
		return nil
	case '%', '|':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return err
		}
		for i := 0; i < 2*n; i++ {
			if err := readValue(r, out); err != nil {
				return err
			}
		}
		if line[0] == '|' { // an attribute precedes the real value
			return readValue(r, out)
		}
		return nil
	}
	return fmt.Errorf("testkit: unknown RESP type %q", line)
}
