package command

import (
	"bytes"
	"math/rand/v2"
	"sync"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// SCAN-family cursors. Redis's cursors are numbers; DiskDB's scan positions
// are keys (RocksDB iterates in key order). The server remembers the last
// key of each cursor it handed out (a bounded table); the cursor's low 14
// bits also carry the hash slot the position lies in, so a cursor that is
// no longer in the table (evicted, or issued before a restart) resumes from
// the start of that slot: keys may be returned twice but none present for
// the whole scan is ever missed, which is SCAN's guarantee.

const (
	maxCursors  = 1 << 16
	cursorSlots = 14
)

type cursorTable struct {
	mu   sync.Mutex
	seq  uint64
	pos  map[uint64][]byte
	fifo []uint64
}

// The sequence starts at a random point so that cursors handed out before
// a restart do not name positions of the new table.
var cursors = cursorTable{pos: map[uint64][]byte{}, seq: rand.Uint64() >> 24}

// saveCursor stores pos (copied) and returns a fresh cursor for it; slot is
// the hash slot pos lies in (0 for collection scans).
func saveCursor(pos []byte, slot uint16) uint64 {
	cursors.mu.Lock()
	defer cursors.mu.Unlock()
	cursors.seq++
	c := cursors.seq<<cursorSlots | uint64(slot)
	cursors.pos[c] = append([]byte(nil), pos...)
	cursors.fifo = append(cursors.fifo, c)
	if len(cursors.fifo) > maxCursors {
		delete(cursors.pos, cursors.fifo[0])
		cursors.fifo = cursors.fifo[1:]
	}
	return c
}

// loadCursor returns the position of cursor c. ok is false for a cursor the
// table does not know; then slot is where a keyspace scan should restart.
func loadCursor(c uint64) (pos []byte, slot uint16, ok bool) {
	cursors.mu.Lock()
	defer cursors.mu.Unlock()
	pos, ok = cursors.pos[c]
	return pos, uint16(c & (1<<cursorSlots - 1)), ok
}

// scanArgs are the options of SCAN, HSCAN, SSCAN and ZSCAN.
type scanArgs struct {
	cursor uint64
	match  []byte // nil: all
	count  int
	typ    store.Type // SCAN only; TypeNone: all
	hasTyp bool
}

// parseScanArgs parses "cursor [MATCH pattern] [COUNT count] [TYPE type]"
// starting at argument i (the cursor). allowType enables TYPE (SCAN only).
// It replies the Redis error itself on failure.
func parseScanArgs(c *Ctx, i int, allowType bool) (scanArgs, bool) {
	a := scanArgs{count: 10}
	cur, ok := parseCursor(c.Args[i])
	if !ok {
		c.Err("ERR invalid cursor")
		return a, false
	}
	a.cursor = cur
	for j := i + 1; j < len(c.Args); j += 2 {
		if j+1 >= len(c.Args) {
			c.Err(errSyntax)
			return a, false
		}
		switch {
		case c.is(j, "count"):
			n, ok := proto.ParseInt(c.Args[j+1])
			if !ok {
				c.Err(errNotInt)
				return a, false
			}
			if n < 1 {
				c.Err(errSyntax)
				return a, false
			}
			if n > 1<<20 {
				n = 1 << 20
			}
			a.count = int(n)
		case c.is(j, "match"):
			a.match = c.Args[j+1]
			if len(a.match) == 1 && a.match[0] == '*' {
				a.match = nil
			}
		case allowType && c.is(j, "type"):
			a.typ = typeByName(lower(c.Args[j+1]))
			a.hasTyp = true
		default:
			c.Err(errSyntax)
			return a, false
		}
	}
	return a, true
}

// parseCursor parses a cursor as Redis does (strtoul, base 10): an
// optional sign ("-n" wraps modulo 2^64), digits up to the end or a NUL
// byte; a leading space, other trailing bytes or overflow are invalid; the
// empty string is 0.
func parseCursor(b []byte) (uint64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	switch b[0] {
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// typeByName maps a TYPE name to a store type. An unknown name matches no
// key (Redis 7.0 returns nothing for it).
func typeByName(n string) store.Type {
	switch n {
	case "string":
		return store.TypeString
	case "list":
		return store.TypeList
	case "hash":
		return store.TypeHash
	case "set":
		return store.TypeSet
	case "zset":
		return store.TypeZSet
	case "stream":
		return store.TypeStream
	case "rejson-rl":
		return store.TypeJSON
	}
	return store.Type(255)
}

// replyScan writes a SCAN-family reply: [cursor, [elements...]].
func replyScan(c *Ctx, cursor uint64, elems [][]byte) {
	c.Array(2)
	var buf [20]byte
	c.Bulk(appendUint(buf[:0], cursor))
	c.Array(len(elems))
	for _, e := range elems {
		c.Bulk(e)
	}
}

func appendUint(dst []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}
