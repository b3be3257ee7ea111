// Package reliability breaks DiskDB on purpose and counts what survives.
//
// Its tests drive the real binary (testkit, $DISKDB_BIN) over TCP:
//
//   - crash loop: a mixed workload over every data type from many clients,
//     each recording exactly what the server acknowledged; kill -9 at random
//     moments, during heavy write groups, during SAVE checkpoints and during
//     flushes and compactions; restart; every acknowledged write must be
//     there (TestCrashLoop).
//   - full disk: the data directory on a 64 MiB tmpfs filled to the brim
//     (TestFullDisk).
//   - corruption: bytes flipped in an SST file and in the WAL tail of a
//     stopped server; a torn WAL tail (TestCorrupt*).
//   - hostile clients: random and mutated RESP frames, slowloris clients, a
//     client that never reads, 10 000 connections (TestHostile*).
//   - soak: mixed load with connection churn, RSS, goroutines and
//     descriptors sampled as a table (TestSoak).
//
// Each data type is one workload (workloads_test.go): a constructor in the
// workloads table whose step sends one operation and records it as pending
// before the send and as acknowledged after the reply, and whose check
// compares the server's state after a restart with the acknowledged model
// (or the model with the in-flight operations applied, in order). Adding a
// type is adding one workload.
//
// The short versions run in `go test ./...`; the Makefile's crashloop,
// soak, fuzznet and fulldisk targets set RELIABILITY_* variables for the
// long runs. RELIABILITY.md in this directory has the method and the
// figures.
package reliability
