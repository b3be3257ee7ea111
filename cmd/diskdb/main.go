// Command diskdb is the DiskDB server: a Redis-compatible database that keeps
// every key on disk in RocksDB.
//
//	diskdb [diskdb.toml] [--name value ...]
//
// Settings are named as redis.conf's directives (--port 6380 --dir ./data);
// `diskdb --help` lists them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/diskdb/diskdb/loop"
	"github.com/diskdb/diskdb/store"
	"github.com/diskdb/diskdb/store/command"
	"github.com/diskdb/diskdb/tuning"
	"github.com/diskdb/diskdb/uring"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "diskdb:", err)
		os.Exit(1)
	}
}

// backend is what both network backends offer.
type backend interface {
	Start() error
	Stop(ctx context.Context) error
	Name() string
}

// run starts the server and blocks until ctx ends, a signal arrives or a
// client sends SHUTDOWN.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		switch a {
		case "-h", "--help", "help":
			usage(stdout)
			return nil
		case "commands":
			writeCommandDocs(stdout)
			return nil
		case "-v", "--version", "version":
			fmt.Fprintf(stdout, "DiskDB %s (Redis %s compatible)\n", command.DiskDBVersion, command.Version)
			return nil
		}
	}
	cfg := command.NewConfig()
	if err := cfg.ParseArgs(args); err != nil {
		return err
	}
	logOut := stderr
	if f := cfg.Get("logfile"); f != "" {
		lf, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer lf.Close()
		logOut = lf
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: command.LogLevel()}))
	slog.SetDefault(log)

	fsync, err := store.ParseFsync(cfg.Get("fsync"))
	if err != nil {
		return err
	}
	tuning.LimitMallocArenas(2) // before RocksDB's threads start: see tuning/malloc_linux.go
	eng, err := store.Open(store.Options{
		Dir:              cfg.Get("dir"),
		Databases:        int(cfg.Int("databases")),
		Shards:           int(cfg.Int("shards")),
		Fsync:            fsync,
		BlockCacheSize:   cfg.Int("cache-size"),
		HotCacheSize:     hotCache(cfg.Int("hot-cache-size")),
		WriteBufferSize:  cfg.Int("write-buffer-size"),
		MetaHashMemtable: cfg.Get("meta-hash-memtable") == "yes",
		Statistics:       cfg.Get("rocksdb-statistics") == "yes",
		Logger:           log,
	})
	if err != nil {
		return err
	}
	srv := command.NewServer(eng, cfg, log)
	if err := srv.LoadACL(); err != nil {
		eng.Close()
		return err
	}

	addrs := listenAddrs(cfg.Get("bind"), cfg.Int("port"))
	tlsAddrs := listenAddrs(cfg.Get("bind"), cfg.Int("tls-port"))
	if len(addrs) == 0 && len(tlsAddrs) == 0 {
		eng.Close()
		return errors.New("nothing to listen on: port is 0 and no TLS port is set")
	}
	if srv.Protected() {
		log.Warn("protected mode is on: no password is set for the default user and bind listens on every interface, so only loopback clients are accepted; set requirepass, bind chosen addresses or protected-mode no", "bind", cfg.Get("bind"))
	}

	// SHUTDOWN closes stop; set before the first client can send it.
	stop := make(chan struct{})
	var once sync.Once
	srv.Shutdown = func() { once.Do(func() { close(stop) }) }
	cronStop := make(chan struct{})
	defer close(cronStop)
	srv.StartCron(cronStop)

	var backends []backend
	name := "tls"
	if len(addrs) > 0 {
		be, n, err := pickBackend(cfg, addrs, srv, log)
		if err != nil {
			eng.Close()
			return err
		}
		backends, name = append(backends, be), n
	}
	if len(tlsAddrs) > 0 {
		be, err := loop.NewTLS(loop.TLSOptions{Addrs: tlsAddrs, CertFile: cfg.Get("tls-cert-file"), KeyFile: cfg.Get("tls-key-file"),
			CAFile: cfg.Get("tls-ca-cert-file"), AuthClients: cfg.Get("tls-auth-clients"), Logger: log}, srv)
		if err != nil {
			eng.Close()
			return err
		}
		backends = append(backends, be)
	}
	srv.Backend = name
	for i, be := range backends {
		if err := be.Start(); err != nil {
			for _, started := range backends[:i] {
				_ = started.Stop(context.Background())
			}
			eng.Close()
			return fmt.Errorf("listen %s: %w", strings.Join(append(addrs, tlsAddrs...), " "), err)
		}
	}
	if ma := cfg.Get("metrics-addr"); ma != "" {
		stopMetrics, err := serveMetrics(ma, srv, log)
		if err != nil {
			for _, be := range backends {
				_ = be.Stop(context.Background())
			}
			eng.Close()
			return fmt.Errorf("metrics endpoint %s: %w", ma, err)
		}
		defer stopMetrics()
	}
	if pa := cfg.Get("pprof-addr"); pa != "" {
		go func() { log.Warn("pprof server stopped", "err", http.ListenAndServe(pa, nil)) }()
	}
	if pf := cfg.Get("pidfile"); pf != "" {
		_ = os.WriteFile(pf, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		defer os.Remove(pf)
	}
	log.Info("DiskDB ready to accept connections", "version", command.DiskDBVersion, "addr", strings.Join(addrs, " "),
		"tls", strings.Join(tlsAddrs, " "), "io", name, "shards", eng.Shards(), "fsync", eng.Fsync().String(), "dir", cfg.Get("dir"))

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case <-ctx.Done():
	case s := <-sigs:
		log.Info("received signal, shutting down", "signal", s.String())
	case <-stop:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.CloseAll()
	for _, be := range backends {
		if err := be.Stop(sctx); err != nil {
			log.Warn("stopping network backend", "backend", be.Name(), "err", err)
		}
	}
	if err := eng.Close(); err != nil {
		return fmt.Errorf("closing storage: %w", err)
	}
	log.Info("DiskDB is now ready to exit, bye bye...")
	return nil
}

// listenAddrs returns host:port for each bind address ("-" marks an
// optional address in redis.conf; DiskDB requires them all), none when
// port is 0.
func listenAddrs(bind string, port int64) []string {
	if port <= 0 {
		return nil
	}
	var out []string
	for _, h := range strings.Fields(bind) {
		h = strings.TrimPrefix(h, "-")
		if h == "*" {
			h = "0.0.0.0"
		}
		out = append(out, net.JoinHostPort(h, strconv.FormatInt(port, 10)))
	}
	return out
}

func hotCache(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// pickBackend chooses the network backend from --io: uring fails when the
// kernel refuses io_uring, auto falls back to gnet (epoll) with one log line.
func pickBackend(cfg *command.Config, addrs []string, srv *command.Server, log *slog.Logger) (backend, string, error) {
	loops := int(cfg.Int("loops"))
	keep := time.Duration(cfg.Int("tcp-keepalive")) * time.Second
	quick := cfg.Get("tcp-quickack") == "yes"
	mode := cfg.Get("io")
	if mode == "uring" || mode == "auto" {
		err := uring.Probe()
		if err == nil {
			return uring.New(uring.Options{Addrs: addrs, Loops: loops, QuickAck: quick, KeepAlive: keep,
				Backlog: int(cfg.Int("tcp-backlog")), Pin: cfg.Get("loop-pin") == "yes", Logger: log}, srv), "io_uring", nil
		}
		if mode == "uring" {
			return nil, "", fmt.Errorf("--io uring: %w", err)
		}
		log.Warn("io_uring is unavailable, serving with epoll (gnet)", "reason", err)
	}
	// gnet sets tcp-keepalive per connection, from the setting as it is then.
	return loop.New(loop.Options{Addrs: addrs, Loops: loops, QuickAck: quick, Logger: log}, srv), "epoll", nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: diskdb [diskdb.toml] [--name value ...]\n\nSettings (redis.conf names; also accepted in diskdb.toml and by CONFIG SET unless start-up only):\n")
	for _, p := range command.Params() {
		if p.Help == "" {
			continue
		}
		def := p.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%-28s %s (default %s)\n", p.Name, p.Help, def)
	}
}
