package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/diskdb/diskdb/store/command"
)

// The Prometheus endpoint (--metrics-addr): per-command call counters and
// latency histograms, and INFO's numeric fields as gauges. Everything is
// read from the server's own statistics when scraped: nothing is added to
// the command path.

// latencyBounds are the histogram's bucket bounds, seconds.
var latencyBounds = []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// infoSections are the INFO sections exported as gauges.
var infoSections = []string{"server", "clients", "memory", "persistence", "stats", "cpu", "rocksdb"}

type collector struct {
	srv                                  *command.Server
	calls, failed, rejected, secs, durns *prometheus.Desc
	keys, expires                        *prometheus.Desc
}

func newCollector(srv *command.Server) *collector {
	cmd := []string{"cmd"}
	return &collector{
		srv:      srv,
		calls:    prometheus.NewDesc("diskdb_commands_total", "Calls of each command.", cmd, nil),
		failed:   prometheus.NewDesc("diskdb_commands_failed_total", "Calls of each command that replied an error.", cmd, nil),
		rejected: prometheus.NewDesc("diskdb_commands_rejected_total", "Commands refused before running (arity, ACL, ...).", cmd, nil),
		secs:     prometheus.NewDesc("diskdb_commands_duration_seconds_total", "Time spent running each command.", cmd, nil),
		durns:    prometheus.NewDesc("diskdb_command_duration_seconds", "Latency of each command.", cmd, nil),
		keys:     prometheus.NewDesc("diskdb_db_keys", "Keys in each database.", []string{"db"}, nil),
		expires:  prometheus.NewDesc("diskdb_db_keys_expiring", "Keys with a time to live in each database.", []string{"db"}, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.calls, c.failed, c.rejected, c.secs, c.durns, c.keys, c.expires} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.srv.CommandMetrics(latencyBounds) {
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(m.Calls), m.Name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(m.Failed), m.Name)
		ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(m.Rejects), m.Name)
		ch <- prometheus.MustNewConstMetric(c.secs, prometheus.CounterValue, m.Seconds, m.Name)
		buckets := make(map[float64]uint64, len(latencyBounds))
		for i, b := range latencyBounds {
			buckets[b] = uint64(m.Cumulative[i])
		}
		ch <- prometheus.MustNewConstHistogram(c.durns, uint64(m.Count), m.Seconds, buckets, m.Name)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(c.srv.Info(infoSections...), "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") || seen[k] {
			continue
		}
		seen[k] = true
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("diskdb_"+k, "INFO field "+k+".", nil, nil), prometheus.GaugeValue, f)
	}
	for _, line := range strings.Split(c.srv.Info("keyspace"), "\r\n") {
		db, rest, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(db, "db") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "keys":
				ch <- prometheus.MustNewConstMetric(c.keys, prometheus.GaugeValue, n, strings.TrimPrefix(db, "db"))
			case "expires":
				ch <- prometheus.MustNewConstMetric(c.expires, prometheus.GaugeValue, n, strings.TrimPrefix(db, "db"))
			}
		}
	}
}

// serveMetrics listens on addr and serves /metrics until the listener is
// closed by stop.
func serveMetrics(addr string, srv *command.Server, log *slog.Logger) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(srv))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics endpoint stopped", "err", err)
		}
	}()
	return func() { _ = hs.Close() }, nil
}
