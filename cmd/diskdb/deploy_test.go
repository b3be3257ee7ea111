package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The packaging files are checked for what they promise: no Docker daemon
// or systemd is needed to run these tests.

func TestDockerfileBuildsWithMakeAndRunsUnprivileged(t *testing.T) {
	data, err := os.ReadFile("deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	froms := regexp.MustCompile(`(?m)^FROM `).FindAllString(df, -1)
	if len(froms) != 2 {
		t.Errorf("want a two-stage build, found %d FROM lines", len(froms))
	}
	for _, want := range []string{
		"RUN make build",
		"librocksdb-dev",                    // build stage: RocksDB from Debian
		"librocksdb7.8",                     // runtime: the shared library only
		"COPY --from=build /src/bin/diskdb", // only the binary crosses over
		"USER diskdb",
		`VOLUME ["/data"]`,
		"EXPOSE 6380",
		`"--dir", "/data"`,
		`"--port", "6380"`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("cmd/diskdb/deploy/Dockerfile lacks %q", want)
		}
	}
	// The runtime stage installs no compiler and runs nothing as root
	// after USER.
	runtime := df[strings.LastIndex(df, "\nFROM "):]
	if strings.Contains(runtime, "golang") || strings.Contains(runtime, "-dev") {
		t.Error("the runtime stage carries build tools")
	}
	if i := strings.Index(runtime, "USER "); i < 0 || strings.Contains(runtime[i:], "\nRUN ") {
		t.Error("commands run after USER in the runtime stage, or no USER")
	}
}

func TestSystemdUnitIsHardened(t *testing.T) {
	data, err := os.ReadFile("deploy/diskdb.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(data)
	for _, want := range []string{
		"Type=simple", "User=diskdb", "ProtectSystem=strict", "ReadWritePaths=/var/lib/diskdb",
		"NoNewPrivileges=yes", "LimitNOFILE=", "StateDirectory=diskdb", "KillSignal=SIGTERM",
		"ExecStart=/usr/local/bin/diskdb /etc/diskdb/diskdb.toml --dir /var/lib/diskdb",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("cmd/diskdb/deploy/diskdb.service lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?m)^User=root`).MatchString(unit) {
		t.Error("the service runs as root")
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		return
	}
	out, _ := exec.Command("systemd-analyze", "verify", "deploy/diskdb.service").CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// The binary is not installed where the unit expects it here.
		if line != "" && !strings.Contains(line, "/usr/local/bin/diskdb") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}
