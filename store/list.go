package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
)

// Lists.
//
// Metadata body: head u64 · tail u64. The elements live at the indices
// [head, tail) under the list's id, element key = the index as a big-endian
// u64, so key order is list order and a position is one point read away:
// LINDEX and LSET are one read or write at head+i, LPUSH writes at head-1,
// RPUSH at tail. A new list starts at head = tail = 1<<63 and grows both
// ways. LINSERT and LREM shift the shorter side of the list by rewriting it
// (Redis is O(N) there too); pops and LTRIM delete index ranges.
//
// Within one command every iterator over the list is opened before the
// command's first write to it: Tx.Iter commits the group's pending writes
// of an id first, and a command must never be committed half-done.

// listOrigin is where a new list's head and tail start.
const listOrigin = 1 << 63

// pointReadMax is the largest span read with point reads rather than an
// iterator (an iterator costs more to set up than a few Gets).
const pointReadMax = 8

// pointDelMax is the largest span deleted with point deletes rather than a
// range delete (range tombstones slow later reads down, a few point
// tombstones do not).
const pointDelMax = 256

// Buffers of elements kept while scanning for LINSERT and LREM, so that
// the side near the start of the scan can be rewritten without reading it
// again. Beyond them the far side is rewritten, streamed.
const (
	nearMaxElems = 4096
	nearMaxBytes = 4 << 20
)

// ErrIndexOutOfRange is LSET's error for an index outside the list.
var ErrIndexOutOfRange = errors.New("ERR index out of range")

// List is a list key opened by OpenList for the duration of one command:
// read it and change it through its methods, then Save once. A List is
// valid only within the task that opened it; open a key once per command
// (LMOVE from a list to itself uses one List).
type List struct {
	tx     *Tx
	db     int
	key    []byte
	old    Meta // metadata when opened or last saved (Body unused)
	exists bool // the key holds a list in the store (as of the last Save)
	dirty  bool // head or tail changed since the last Save
	edited bool // an element changed in place (LSET) since the last Save
	id     uint64
	head   uint64
	tail   uint64
}

// OpenList opens the list at key in db. The key may be absent (Exists is
// false; Push creates it). ErrWrongType if the key holds another type.
func (tx *Tx) OpenList(db int, key []byte) (List, error) {
	l := List{tx: tx, db: db, key: key}
	m, ok, err := tx.LookupType(db, key, TypeList)
	if err != nil || !ok {
		return l, err
	}
	if len(m.Body) != 16 {
		return l, tx.corrupt("list metadata", db, key)
	}
	l.head = binary.BigEndian.Uint64(m.Body)
	l.tail = binary.BigEndian.Uint64(m.Body[8:])
	if l.tail <= l.head || l.tail-l.head != m.Count || m.ID == 0 {
		return l, tx.corrupt("list bounds", db, key)
	}
	m.Body = nil
	l.old, l.exists, l.id = m, true, m.ID
	return l, nil
}

// corrupt logs a damaged record and returns ErrCorrupt.
func (tx *Tx) corrupt(what string, db int, key []byte) error {
	tx.e.log.Error("corrupt record", "what", what, "db", db, "key", string(key))
	return ErrCorrupt
}

// Exists reports whether the list has elements.
func (l *List) Exists() bool { return l.head != l.tail }

// Len returns the number of elements.
func (l *List) Len() int64 { return int64(l.tail - l.head) }

func idxKey(b *[8]byte, i uint64) []byte {
	binary.BigEndian.PutUint64(b[:], i)
	return b[:]
}

// abs maps a Redis index (negative counts from the tail) to a position.
func (l *List) abs(i int64) (uint64, bool) {
	n := l.Len()
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, false
	}
	return l.head + uint64(i), true
}

// Push adds vals at the head (left: each one becomes the new first element,
// as LPUSH does) or at the tail, creating the list if needed.
func (l *List) Push(left bool, vals ...[]byte) error {
	if l.id == 0 {
		id, err := l.tx.NewID()
		if err != nil {
			return err
		}
		l.id, l.head, l.tail = id, listOrigin, listOrigin
	}
	var k [8]byte
	for _, v := range vals {
		if left {
			l.head--
			l.tx.PutElem(CFSub, l.id, idxKey(&k, l.head), v)
		} else {
			l.tx.PutElem(CFSub, l.id, idxKey(&k, l.tail), v)
			l.tail++
		}
	}
	l.dirty = l.dirty || len(vals) > 0
	return nil
}

// Index returns the element at index i (negative: from the tail).
func (l *List) Index(i int64) ([]byte, bool, error) {
	p, ok := l.abs(i)
	if !ok {
		return nil, false, nil
	}
	var k [8]byte
	v, ok, err := l.tx.GetElem(CFSub, l.id, idxKey(&k, p))
	if err == nil && !ok {
		err = l.tx.corrupt("list element missing", l.db, l.key)
	}
	return v, err == nil, err
}

// Set replaces the element at index i: ErrNoSuchKey on an absent list,
// ErrIndexOutOfRange outside it.
func (l *List) Set(i int64, v []byte) error {
	if !l.Exists() {
		return ErrNoSuchKey
	}
	p, ok := l.abs(i)
	if !ok {
		return ErrIndexOutOfRange
	}
	var k [8]byte
	l.tx.PutElem(CFSub, l.id, idxKey(&k, p), v)
	l.edited = true
	return nil
}

// Pop removes up to n elements from the head (left) or the tail and
// returns them in pop order. The slices are the caller's.
func (l *List) Pop(left bool, n int64) ([][]byte, error) {
	if n > l.Len() {
		n = l.Len()
	}
	if n <= 0 {
		return nil, nil
	}
	from, to := l.head, l.head+uint64(n)
	if !left {
		from, to = l.tail-uint64(n), l.tail
	}
	out := make([][]byte, 0, n)
	var arena []byte
	err := l.scan(from, to, !left, func(_ uint64, v []byte) bool {
		s := len(arena)
		arena = append(arena, v...)
		out = append(out, arena[s:len(arena):len(arena)])
		return true
	})
	if err != nil {
		return nil, err
	}
	l.delSpan(from, to)
	if left {
		l.head = to
	} else {
		l.tail = from
	}
	l.dirty = true
	return out, nil
}

// rangeSpan applies LRANGE's index rules to start and stop.
func (l *List) rangeSpan(start, stop int64) (from, to uint64) {
	n := l.Len()
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return l.head, l.head
	}
	if stop >= n {
		stop = n - 1
	}
	return l.head + uint64(start), l.head + uint64(stop) + 1
}

// RangeLen returns how many elements Range(start, stop) visits.
func (l *List) RangeLen(start, stop int64) int {
	from, to := l.rangeSpan(start, stop)
	return int(to - from)
}

// Range calls fn with the elements from index start to stop inclusive, with
// LRANGE's rules for negative and out-of-range indices. Only those elements
// are read. v is valid during the call.
func (l *List) Range(start, stop int64, fn func(v []byte)) error {
	from, to := l.rangeSpan(start, stop)
	return l.scan(from, to, false, func(_ uint64, v []byte) bool { fn(v); return true })
}

// Trim keeps the elements from start to stop inclusive (LTRIM's rules) and
// deletes the others.
func (l *List) Trim(start, stop int64) {
	n := l.Len()
	if n == 0 {
		return
	}
	l.edited = true // Redis marks the key modified even when nothing goes
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	var ltrim, rtrim int64
	if start > stop || start >= n {
		ltrim, rtrim = n, 0
	} else {
		if stop >= n {
			stop = n - 1
		}
		ltrim, rtrim = start, n-stop-1
	}
	if ltrim > 0 {
		l.delSpan(l.head, l.head+uint64(ltrim))
		l.head += uint64(ltrim)
	}
	if rtrim > 0 {
		l.delSpan(l.tail-uint64(rtrim), l.tail)
		l.tail -= uint64(rtrim)
	}
	l.dirty = l.dirty || ltrim > 0 || rtrim > 0
}

// Insert inserts v right before (or after) the first element equal to
// pivot and returns the new length, or -1 if pivot is not in the list. The
// shorter side of the list is shifted.
func (l *List) Insert(pivot, v []byte, after bool) (int64, error) {
	if !l.Exists() {
		return 0, nil
	}
	// Find the pivot, keeping the elements before it while they are few.
	var near [][]byte
	nearBytes, buffering := 0, true
	p, found := uint64(0), false
	err := l.scan(l.head, l.tail, false, func(i uint64, e []byte) bool {
		if bytes.Equal(e, pivot) {
			p, found = i, true
			return false
		}
		if buffering {
			if len(near) < nearMaxElems && nearBytes+len(e) <= nearMaxBytes {
				near = append(near, append([]byte(nil), e...))
				nearBytes += len(e)
			} else {
				buffering, near = false, nil
			}
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	if !found {
		return -1, nil
	}
	q := p // v goes into the gap before position q
	if after {
		q = p + 1
		if buffering {
			near = append(near, pivot)
		}
	}
	var k [8]byte
	if buffering && q-l.head <= l.tail-q {
		// Shift [head, q) one step toward the head.
		for j, e := range near {
			l.tx.PutElem(CFSub, l.id, idxKey(&k, l.head+uint64(j)-1), e)
		}
		l.tx.PutElem(CFSub, l.id, idxKey(&k, q-1), v)
		l.head--
	} else {
		// Shift [q, tail) one step toward the tail, from the tail down so a
		// point read never sees a position already rewritten.
		err := l.scan(q, l.tail, true, func(i uint64, e []byte) bool {
			l.tx.PutElem(CFSub, l.id, idxKey(&k, i+1), e)
			return true
		})
		if err != nil {
			return 0, err
		}
		l.tx.PutElem(CFSub, l.id, idxKey(&k, q), v)
		l.tail++
	}
	l.dirty = true
	return l.Len(), nil
}

// Remove removes the first count elements equal to v (count > 0: from the
// head; count < 0: from the tail; 0: all of them) and returns how many it
// removed. The survivors are packed by rewriting the shorter side.
func (l *List) Remove(count int64, v []byte) (int64, error) {
	n := l.Len()
	if n == 0 {
		return 0, nil
	}
	backward := count < 0
	limit := uint64(count)
	if backward {
		limit = uint64(-count) // MinInt64 stays 1<<63: as good as unlimited
	}
	// pos maps a scan position j (0 = the end the scan starts from) to an
	// index in the list.
	pos := func(j uint64) uint64 {
		if backward {
			return l.tail - 1 - j
		}
		return l.head + j
	}
	type kept struct {
		j uint64
		v []byte
	}
	var matches []uint64 // scan positions of the removed elements
	var near []kept      // the survivors at scan positions below nearEnd
	nearBytes, nearEnd := 0, uint64(math.MaxUint64)
	err := l.scan(l.head, l.tail, backward, func(i uint64, e []byte) bool {
		j := i - l.head
		if backward {
			j = l.tail - 1 - i
		}
		if bytes.Equal(e, v) {
			matches = append(matches, j)
			return limit == 0 || uint64(len(matches)) < limit
		}
		if nearEnd == math.MaxUint64 {
			if len(near) < nearMaxElems && nearBytes+len(e) <= nearMaxBytes {
				near = append(near, kept{j, append([]byte(nil), e...)})
				nearBytes += len(e)
			} else {
				nearEnd = j
			}
		}
		return true
	})
	if err != nil || len(matches) == 0 {
		return 0, err
	}
	k := uint64(len(matches))
	first, last := matches[0], matches[k-1]
	nearCost := last + 1 - k
	farCost := uint64(n) - first - 1 - (k - 1)
	var kb [8]byte
	if last < nearEnd && nearCost <= farCost {
		// Pack the survivors before the last match toward it.
		w := last
		for i := len(near) - 1; i >= 0; i-- {
			if near[i].j > last {
				continue
			}
			if near[i].j != w {
				l.tx.PutElem(CFSub, l.id, idxKey(&kb, pos(w)), near[i].v)
			}
			w--
		}
		l.delScan(pos, 0, k, backward)
		if backward {
			l.tail -= k
		} else {
			l.head += k
		}
	} else {
		// Pack everything after the first match toward it, streaming in
		// scan order: each position is read before anything is written to it.
		w, mi := first, 1
		from, to := pos(first+1), pos(uint64(n)-1)
		if backward {
			from, to = to, from
		}
		if first+1 < uint64(n) {
			err := l.scan(from, to+1, backward, func(i uint64, e []byte) bool {
				j := i - l.head
				if backward {
					j = l.tail - 1 - i
				}
				if mi < len(matches) && matches[mi] == j {
					mi++
					return true
				}
				l.tx.PutElem(CFSub, l.id, idxKey(&kb, pos(w)), e)
				w++
				return true
			})
			if err != nil {
				return 0, err
			}
		}
		l.delScan(pos, uint64(n)-k, uint64(n), backward)
		if backward {
			l.head += k
		} else {
			l.tail -= k
		}
	}
	l.dirty = true
	return int64(k), nil
}

// delScan deletes the scan positions [a, b).
func (l *List) delScan(pos func(uint64) uint64, a, b uint64, backward bool) {
	if a >= b {
		return
	}
	lo, hi := pos(a), pos(b-1)
	if backward {
		lo, hi = hi, lo
	}
	l.delSpan(lo, hi+1)
}

// Pos returns the indices of the elements equal to v, LPOS-style: rank
// (never 0) picks the first match to report (negative: counting from the
// tail), count caps the matches returned (0: all), maxlen caps the elements
// compared (0: all).
func (l *List) Pos(v []byte, rank, count, maxlen int64) ([]int64, error) {
	n := l.Len()
	if n == 0 {
		return nil, nil
	}
	backward := rank < 0
	skip := rank - 1 // matches to pass over before reporting
	if backward {
		skip = -rank - 1
		if rank == math.MinInt64 {
			skip = 0 // Redis negates it into a negative rank: every match counts
		}
	}
	to := uint64(n)
	if maxlen > 0 && maxlen < n {
		to = uint64(maxlen)
	}
	from, end := l.head, l.head+to
	if backward {
		from, end = l.tail-to, l.tail
	}
	var out []int64
	err := l.scan(from, end, backward, func(i uint64, e []byte) bool {
		if !bytes.Equal(e, v) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		out = append(out, int64(i-l.head))
		return count == 0 || int64(len(out)) < count
	})
	return out, err
}

// Save writes the list's metadata if it changed; a list left empty is
// deleted (its elements are already gone). A list changed in place only
// marks the key modified (WATCH). It reports whether it deleted the key.
func (l *List) Save() bool {
	if !l.dirty {
		if l.edited {
			l.tx.modified(l.db, l.key)
		}
		l.edited = false
		return false
	}
	l.dirty, l.edited = false, false
	if l.head == l.tail {
		if l.exists {
			l.tx.dropEmptied(l.db, l.key, &l.old)
			l.exists = false
			return true
		}
		return false
	}
	var body [16]byte
	binary.BigEndian.PutUint64(body[:], l.head)
	binary.BigEndian.PutUint64(body[8:], l.tail)
	m := Meta{Type: TypeList, ID: l.id, Count: l.tail - l.head, Body: body[:]}
	if l.exists {
		m.Expire = l.old.Expire
		l.tx.PutMeta(l.db, l.key, &m, &l.old)
	} else {
		l.tx.PutMeta(l.db, l.key, &m, nil)
	}
	// Kept without the body, which stays on the stack.
	l.old, l.exists = Meta{Type: TypeList, ID: l.id, Count: m.Count, Expire: m.Expire}, true
	return false
}

// scan calls fn for the elements at positions [from, to), in order or in
// reverse, until fn returns false. Small spans are point reads, larger ones
// one bounded iterator. A missing position is reported as corruption.
func (l *List) scan(from, to uint64, reverse bool, fn func(i uint64, v []byte) bool) error {
	if to <= from {
		return nil
	}
	var k [8]byte
	if to-from <= pointReadMax {
		for j := uint64(0); j < to-from; j++ {
			i := from + j
			if reverse {
				i = to - 1 - j
			}
			v, ok, err := l.tx.GetElem(CFSub, l.id, idxKey(&k, i))
			if err != nil {
				return err
			}
			if !ok {
				return l.tx.corrupt("list element missing", l.db, l.key)
			}
			if !fn(i, v) {
				return nil
			}
		}
		return nil
	}
	var hk [8]byte
	it := l.tx.Iter(CFSub, l.id, idxKey(&k, from), idxKey(&hk, to), reverse)
	defer it.Close()
	want := from
	if reverse {
		want = to - 1
	}
	seen := uint64(0)
	for ; it.Valid(); it.Next() {
		key := it.Key()
		if len(key) != 8 || binary.BigEndian.Uint64(key) != want {
			return l.tx.corrupt("list element missing", l.db, l.key)
		}
		seen++
		if !fn(want, it.Value()) {
			return nil
		}
		if reverse {
			want--
		} else {
			want++
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if seen != to-from {
		return l.tx.corrupt("list element missing", l.db, l.key)
	}
	return nil
}

// delSpan deletes the elements at positions [from, to).
func (l *List) delSpan(from, to uint64) {
	var k, hk [8]byte
	if to-from <= pointDelMax {
		for i := from; i < to; i++ {
			l.tx.DelElem(CFSub, l.id, idxKey(&k, i))
		}
		return
	}
	l.tx.DelElemRange(CFSub, l.id, idxKey(&k, from), idxKey(&hk, to))
}

// modified marks key as changed for WATCH when a write left its metadata
// as it was (LSET, HSET of an existing field): metadata writes mark it
// themselves.
func (tx *Tx) modified(db int, key []byte) {
	tx.mk = appendMetaKey(tx.mk[:0], db, key)
	tx.touched(tx.mk)
}

// dropEmptied deletes the metadata (m) of a collection whose last elements
// the current command has just deleted itself. It is DeleteKey without the
// element sweep, which would find nothing but would commit the group early
// and step over the tombstones just written (a queue that drains to empty
// on every pop would pay that on each pop).
func (tx *Tx) dropEmptied(db int, key []byte, m *Meta) {
	tx.mk = appendMetaKey(tx.mk[:0], db, key)
	tx.del(CFMeta, tx.mk)
	if m.Expire != 0 {
		tx.k2 = appendExpireKey(tx.k2[:0], m.Expire, db, key)
		tx.del(CFExpire, tx.k2)
	}
	tx.countKey(db, key, -1, -b2i(m.Expire != 0))
}
