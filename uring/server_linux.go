//go:build linux

package uring

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/diskdb/diskdb/store/command"
)

// Server runs the io_uring reactors.
type Server struct {
	opts    Options
	cmd     *command.Server
	loops   []*loop
	started bool
}

// New prepares a backend serving cmd.
func New(opts Options, cmd *command.Server) *Server {
	opts.ensureDefaults()
	return &Server{opts: opts, cmd: cmd}
}

// Name reports the backend for INFO.
func (s *Server) Name() string { return "io_uring" }

// Start opens every reactor's listeners and rings; it returns once all of
// them accept connections, or the first error (everything opened is closed
// again). An error wrapping ErrUnavailable means the kernel refused
// io_uring.
func (s *Server) Start() error {
	if len(s.opts.Addrs) == 0 {
		return errors.New("uring: no address to listen on")
	}
	f, err := probe()
	if err != nil {
		return err
	}
	if s.opts.SingleShot {
		f.multishotRecv = false
	}
	n := s.opts.Loops
	if n <= 0 {
		n = runtime.NumCPU()
	}
	for i := 0; i < n; i++ {
		l := &loop{s: s, idx: i, feat: f, ready: make(chan error, 1), done: make(chan struct{}), sess: s.cmd.NewSession()}
		s.loops = append(s.loops, l)
		for _, a := range s.opts.Addrs {
			ln, err := listen(a, s.opts.Backlog)
			if err != nil {
				s.abort()
				return err
			}
			l.lns = append(l.lns, ln)
		}
	}
	for _, l := range s.loops {
		go l.run()
	}
	var first error
	for _, l := range s.loops {
		if err := <-l.ready; err != nil && first == nil {
			first = fmt.Errorf("uring: reactor %d: %w", l.idx, err)
		}
	}
	if first != nil {
		s.started = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		return first
	}
	s.started = true
	return nil
}

// abort closes the listeners of reactors that never ran.
func (s *Server) abort() {
	for _, l := range s.loops {
		l.closeListeners()
	}
	s.loops = nil
}

// Stop closes the listeners, then every connection once its pending output
// is written, and frees the rings. When ctx ends first, connections still
// open are closed at once (their output dropped) and ctx's error returned.
func (s *Server) Stop(ctx context.Context) error {
	if !s.started {
		return nil
	}
	s.started = false
	for _, l := range s.loops {
		l.stopReq.Store(true)
		l.notify()
	}
	var err error
	for _, l := range s.loops {
		select {
		case <-l.done:
			continue
		case <-ctx.Done():
			err = ctx.Err()
		}
		break
	}
	if err != nil {
		for _, l := range s.loops {
			l.force.Store(true)
			l.notify()
		}
		for _, l := range s.loops {
			<-l.done
		}
	}
	return err
}
