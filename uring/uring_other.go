//go:build !linux

package uring

import (
	"context"
	"fmt"
	"runtime"

	"github.com/diskdb/diskdb/store/command"
)

// Probe reports that io_uring exists only on Linux.
func Probe() error {
	return fmt.Errorf("%w: %s is not Linux", ErrUnavailable, runtime.GOOS)
}

// Server is the io_uring backend; on this OS it cannot start.
type Server struct{}

// New returns a backend whose Start fails: io_uring is Linux only.
func New(opts Options, cmd *command.Server) *Server { return &Server{} }

// Start reports that io_uring is unsupported here.
func (s *Server) Start() error { return Probe() }

// Stop does nothing: nothing was started.
func (s *Server) Stop(ctx context.Context) error { return nil }

// Name reports the backend for INFO.
func (s *Server) Name() string { return "io_uring" }
