// Two RocksDB features that its C API (7.8), and so grocksdb, does not
// export, needed to survive a full disk:
//
//   - DB::Resume(): a write that fails on the WAL puts RocksDB in read-only
//     mode until Resume() (or a reopen); the engine calls it once a second
//     until it succeeds.
//   - an info logger that writes to the server's standard error instead of
//     the LOG file in the data directory. On a full disk the LOG file's
//     writer fails; Debian's librocksdb is built with assertions, and the
//     next log line on a failed writer aborts the process
//     (WritableFileWriter::AssertFalseAndGetStatusForPrevError). Standard
//     error never fills the data disk.
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/options.h"

// The C API's handles, as rocksdb/c.cc defines them.
struct rocksdb_t {
  rocksdb::DB* rep;
};
struct rocksdb_options_t {
  rocksdb::Options rep;
};

namespace {

// Lines RocksDB logged about corruption (checksum mismatches found by
// compactions, WAL records skipped at recovery, ...): INFO reports them.
std::atomic<long long> corruption_lines{0};

class StderrLogger : public rocksdb::Logger {
 public:
  explicit StderrLogger(rocksdb::InfoLogLevel level) : rocksdb::Logger(level) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char buf[2048];
    int n = vsnprintf(buf, sizeof buf, format, ap);
    if (n < 0) {
      return;
    }
    if (n >= (int)sizeof buf) {
      n = sizeof buf - 1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) {
      buf[--n] = 0;
    }
    if (strstr(buf, "orruption") != nullptr || strstr(buf, "checksum mismatch") != nullptr) {
      corruption_lines.fetch_add(1, std::memory_order_relaxed);
    }
    // One write per line so lines from threads do not interleave.
    char line[2100];
    int m = snprintf(line, sizeof line, "rocksdb: %s\n", buf);
    if (m > 0) {
      fwrite(line, 1, m < (int)sizeof line ? m : (int)sizeof line - 1, stderr);
    }
  }
};

}  // namespace

extern "C" char* diskdb_resume(rocksdb_t* db) {
  rocksdb::Status s = db->rep->Resume();
  if (s.ok()) {
    return nullptr;
  }
  return strdup(s.ToString().c_str());
}

extern "C" void diskdb_log_to_stderr(rocksdb_options_t* opts) {
  opts->rep.info_log = std::make_shared<StderrLogger>(opts->rep.info_log_level);
}

extern "C" long long diskdb_corruption_lines() {
  return corruption_lines.load(std::memory_order_relaxed);
}
