// Package store is DiskDB's storage engine: the RocksDB column families and
// key encoding, the sharded executor with group commit, and one file per data
// type holding that type's logic as a typed Go API. It never sees RESP: the
// command layer (store/command) parses arguments and formats replies.
//
// # On-disk format (a contract: type IDs, column-family names and layouts are never renumbered)
//
// All integers are big-endian so that byte order is numeric order. Doubles
// are stored memcomparable: negative values have all bits flipped, others
// have the sign bit set.
//
//	column family   key                                          value
//	-------------   ------------------------------------------   -------------------------------------------
//	meta            db u8 · slot u16 · user key                  metadata record (below); db is the
//	                                                              physical database (dbmap.go)
//	default (sub)   id u64 · element key                         element value: hash field value,
//	                                                              list element (key: index u64), set: empty,
//	                                                              zset: score (memcomparable, 8 bytes),
//	                                                              chunked string: chunk (key: index u32)
//	score           id u64 · score (8) · member                  empty (zset order)
//	stream          id u64 · ms u64 · seq u64                    entry: pairs uvarint · (len uvarint · bytes) × 2·pairs
//	default (sub)   id u64 · 'g'|'c'|'p'|'q'|'n' · ...           stream groups, consumers, PEL (group-wide and
//	                                                              per consumer) and listpack nodes: stream.go
//	expire          expire-ms u64 · db u8 · user key             empty: the active-expiry index
//	sys             'c' · db u8 · slot u16                       u64: keys in (db, slot), for exact DBSIZE
//	                'i'                                          u64: ids below it may have been handed out
//	                'f' · library name                           FUNCTION LOAD library code (functions.go)
//	                'm'                                          256 bytes: the physical db of each logical db
//	                                                              (SWAPDB; absent = identity; dbmap.go)
//
// Metadata record (meta CF value):
//
//	+------+-------+----------------------+------------------------------------------+
//	| type | flags | expire-ms u64        | body                                     |
//	| u8   | u8    | (only if flags&1)    |                                          |
//	+------+-------+----------------------+------------------------------------------+
//	flags:       1 expire-ms follows, 2 chunked string (bits are never renumbered)
//	string:      up to 16 KiB: body = the value itself (one Get serves GET);
//	             longer (flags&2): body = id u64 · length u64, the value in `sub` as
//	             4 KiB chunks keyed id · index u32, trailing zeros dropped, absent
//	             chunks read as zeros (a sparse bitmap stores the chunks it touched;
//	             store/string.go draws it). Bitmaps and HyperLogLogs are strings.
//	json:        body = the document as canonical compact JSON text (store/json.go)
//	collections: body = id u64 · count u64 · type tail (list: head u64 · tail u64;
//	             stream: last, first and max-deleted ids, entries-added, groups,
//	             head and tail nodes, see stream.go)
//
// Type IDs: 1 string, 2 list, 3 hash, 4 set, 5 zset, 6 stream, 7 json.
//
// Differences from Kvrocks's encoding, and why:
//
//   - Element keys start with the collection's id, which is unique forever
//     (a persisted allocator), not with the user key and a version. RENAME
//     and MOVE re-point the metadata record in O(1) and DEL deletes the
//     metadata and issues one DeleteRange(id) in the same batch, so dead
//     elements never have to be skipped by later reads.
//   - Element keys carry no db byte (DESIGN.md's first draft had one): a MOVE
//     to another db would otherwise leave the elements under the old db, and
//     FLUSHDB of that db would destroy them. FLUSHDB instead range-deletes the
//     db's meta range and each collection's id range.
//   - The slot (CRC16 of the key or its {hash tag}, as Redis Cluster) sits in
//     every meta key: it picks the executor shard, keeps per-slot key counts,
//     and lets a future cluster mode move a slot as one key range.
//
// # Execution
//
// Keys map to slots and slots to shards (slot mod shards). Each shard is one
// goroutine that drains its queue, runs the tasks against one Tx (pending
// writes visible to the later tasks of the group through an in-memory
// overlay), commits the group as one RocksDB WriteBatch, then completes the
// tasks. Tasks over several shards acquire them in a global order, run once
// and commit once. See executor.go.
package store
