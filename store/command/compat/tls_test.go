package compat

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/diskdb/diskdb/store/command/testkit"
)

// pki is a throw-away certificate authority with a server certificate for
// 127.0.0.1 and a client certificate, written as PEM files.
type pki struct {
	dir                   string
	caFile                string
	serverCert, serverKey string
	clientCert, clientKey string
	pool                  *x509.CertPool
	client                tls.Certificate
}

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// issue signs a leaf certificate and writes it and its key to dir.
func issue(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	ca, caKey := newCA(t, "diskdb test CA")
	p.caFile = filepath.Join(p.dir, "ca.crt")
	writePEM(t, p.caFile, "CERTIFICATE", ca.Raw)
	p.serverCert, p.serverKey = issue(t, p.dir, "server", ca, caKey, true)
	p.clientCert, p.clientKey = issue(t, p.dir, "client", ca, caKey, false)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(ca)
	var err error
	if p.client, err = tls.LoadX509KeyPair(p.clientCert, p.clientKey); err != nil {
		t.Fatal(err)
	}
	return p
}

// rogueClient is a client certificate signed by another CA.
func (p *pki) rogueClient(t *testing.T) tls.Certificate {
	t.Helper()
	ca, key := newCA(t, "rogue CA")
	cf, kf := issue(t, p.dir, "rogue", ca, key, false)
	c, err := tls.LoadX509KeyPair(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *pki) args(port int, auth string) []string {
	return []string{"--tls-port", strconv.Itoa(port), "--tls-cert-file", p.serverCert, "--tls-key-file", p.serverKey,
		"--tls-ca-cert-file", p.caFile, "--tls-auth-clients", auth}
}

func tlsClient(t *testing.T, addr string, cfg *tls.Config) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, DisableIdentity: true, MaxRetries: -1, DialTimeout: 3 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTLSWithAndWithoutClientCertificates(t *testing.T) {
	p := newPKI(t)
	ctx := context.Background()
	for _, auth := range []string{"yes", "optional", "no"} {
		t.Run("tls-auth-clients "+auth, func(t *testing.T) {
			tport := testkit.FreePort(t)
			s := testkit.Start(t, p.args(tport, auth)...)
			addr := "127.0.0.1:" + strconv.Itoa(tport)
			withCert := tlsClient(t, addr, &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.client}})
			if err := withCert.Set(ctx, "k", "over tls", 0).Err(); err != nil {
				t.Fatalf("SET with a client certificate: %v", err)
			}
			// The plain port serves the same data.
			if v := client(t, s, 2).Get(ctx, "k").Val(); v != "over tls" {
				t.Fatalf("plain GET = %q", v)
			}
			noCert := tlsClient(t, addr, &tls.Config{RootCAs: p.pool})
			err := noCert.Ping(ctx).Err()
			if (auth == "yes") != (err != nil) {
				t.Fatalf("without a client certificate: %v", err)
			}
			rc := p.rogueClient(t)
			// GetClientCertificate sends the certificate even though the
			// server asks for ones of its CA (Go would send none).
			rogue := tlsClient(t, addr, &tls.Config{RootCAs: p.pool, GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &rc, nil }})
			err = rogue.Ping(ctx).Err()
			if (auth != "no") != (err != nil) {
				t.Fatalf("with a certificate of another CA: %v", err)
			}
			// TLS 1.1 is refused.
			old := tlsClient(t, addr, &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.client}, MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10})
			if err := old.Ping(ctx).Err(); err == nil {
				t.Fatal("a TLS 1.1 client was accepted")
			}
		})
	}
}

// TestTLSServesEverythingThePlainPortServes runs pipelines, RESP3, pub/sub,
// blocking commands and AUTH over TLS.
func TestTLSServesEverythingThePlainPortServes(t *testing.T) {
	p := newPKI(t)
	ctx := context.Background()
	tport := testkit.FreePort(t)
	s := testkit.Start(t, p.args(tport, "yes")...)
	addr := "127.0.0.1:" + strconv.Itoa(tport)
	cfg := &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.client}}
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, Protocol: 3, DisableIdentity: true})
	defer c.Close()
	pipe := c.Pipeline()
	for i := 0; i < 5000; i++ {
		pipe.Set(ctx, "k"+strconv.Itoa(i), strings.Repeat("v", i%300), 0)
	}
	get := pipe.Get(ctx, "k299")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if len(get.Val()) != 299 {
		t.Fatalf("pipelined GET = %d bytes", len(get.Val()))
	}
	big := strings.Repeat("x", 3<<20)
	if err := c.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v := c.Get(ctx, "big").Val(); v != big {
		t.Fatalf("3 MiB value over TLS: got %d bytes", len(v))
	}
	ps := c.Subscribe(ctx, "ch")
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	client(t, s, 2).Publish(ctx, "ch", "hello")
	if m, err := ps.ReceiveMessage(ctx); err != nil || m.Payload != "hello" {
		t.Fatalf("message over TLS: %v %v", m, err)
	}
	ps.Close()
	go func() {
		time.Sleep(200 * time.Millisecond)
		client(t, s, 2).RPush(ctx, "q", "job")
	}()
	if v, err := c.BLPop(ctx, 5*time.Second, "q").Result(); err != nil || v[1] != "job" {
		t.Fatalf("BLPOP over TLS: %v %v", v, err)
	}
	client(t, s, 2).Do(ctx, "ACL", "SETUSER", "u", "on", ">p", "~*", "+@all")
	u := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, Username: "u", Password: "p", DisableIdentity: true})
	defer u.Close()
	if who := u.Do(ctx, "ACL", "WHOAMI").Val(); who != "u" {
		t.Fatalf("WHOAMI over TLS = %v", who)
	}
	// CLIENT KILL closes a TLS connection too.
	id := u.ClientID(ctx).Val()
	if n := client(t, s, 2).ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Val(); n != 1 {
		t.Fatalf("CLIENT KILL = %d", n)
	}
}

func TestTLSWithRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	p := newPKI(t)
	for _, auth := range []string{"yes", "no"} {
		tport := testkit.FreePort(t)
		testkit.Start(t, p.args(tport, auth)...)
		args := []string{"--tls", "--cacert", p.caFile, "-h", "127.0.0.1", "-p", strconv.Itoa(tport)}
		if auth == "yes" {
			args = append(args, "--cert", p.clientCert, "--key", p.clientKey)
		}
		out, err := exec.Command("redis-cli", append(args, "SET", "cli", "tls")...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "OK" {
			t.Fatalf("redis-cli --tls SET (auth %s): %v %s", auth, err, out)
		}
		out, err = exec.Command("redis-cli", append(args, "GET", "cli")...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "tls" {
			t.Fatalf("redis-cli --tls GET (auth %s): %v %s", auth, err, out)
		}
		if auth == "yes" {
			out, _ := exec.Command("redis-cli", "--tls", "--cacert", p.caFile, "-h", "127.0.0.1", "-p", strconv.Itoa(tport), "PING").CombinedOutput()
			if strings.Contains(string(out), "PONG") {
				t.Fatalf("redis-cli without a certificate got an answer: %s", out)
			}
		}
	}
}

// TestTLSOnlyWithPortZero: port 0 turns the plain listener off.
func TestTLSOnlyWithPortZero(t *testing.T) {
	p := newPKI(t)
	tport := testkit.FreePort(t)
	cmd := exec.Command(testkit.Binary(t), append([]string{"--port", "0", "--bind", "127.0.0.1", "--dir", t.TempDir(), "--loglevel", "warning"}, p.args(tport, "no")...)...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(tport)
	c := tlsClient(t, addr, &tls.Config{RootCAs: p.pool})
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("TLS-only server did not answer: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if info := c.Info(ctx, "server").Val(); !strings.Contains(info, "tcp_port:0\r\n") {
		t.Fatalf("INFO server of a TLS-only server: %q", info)
	}
}
