package store

import (
	"bytes"
	"sort"

	"github.com/linxGnu/grocksdb"
)

// mergedIter walks a key range of one column family as the Tx sees it:
// RocksDB's committed entries merged with the group's pending writes (the
// overlay), pending deletes and range deletes hiding what they cover. So
// reads after writes in the same group or transaction never force an early
// commit (which could leave half a transaction on disk after a crash).
//
// Entries come from RocksDB in batches copied by one C call each. Key and
// Value stay valid until the next Next, Seek or Close.
type mergedIter struct {
	tx      *Tx
	it      *grocksdb.Iterator
	ro      *grocksdb.ReadOptions
	reverse bool
	lower   []byte
	upper   []byte

	buf     []byte
	recs    []kv
	pos     int
	rawDone bool
	batch   int

	ov     []ovKV // pending entries in range, ascending
	ovPos  int    // next overlay entry (from the end when reverse)
	ranges []ovRange

	k, v  []byte
	valid bool
	err   error
}

type ovKV struct {
	k, v []byte
	del  bool
}

// newMergedIter opens an iterator over cf in [lower, upper) (upper nil:
// unbounded) positioned at the first (last, when reverse) entry.
func (tx *Tx) newMergedIter(cf CF, lower, upper []byte, reverse bool) *mergedIter {
	m := &mergedIter{reverse: reverse, lower: lower, upper: upper, batch: 16, tx: tx}
	m.ro = grocksdb.NewDefaultReadOptions()
	m.ro.SetVerifyChecksums(true)
	// No block-cache-only tier here, even in an inline (memory-only) run:
	// RocksDB 7.8's merging iterator can drop a child's Incomplete status
	// (fixed upstream in 8.5/8.6), so a no-I/O scan over several table
	// files may end early with an OK status. Measured: an inline XRANGE
	// saw 1 of 30 entries, status OK (RELIABILITY.md, problem 9). An
	// inline scan therefore reads what it needs, from disk if it must.
	if cf == CFMeta && tx.e.opts.MetaHashMemtable {
		// A prefix-indexed memtable: a range inside one slot iterates by
		// prefix; anything wider needs a total-order iterator (correct,
		// but it copies the memtable: walkMeta goes slot by slot).
		if len(lower) >= 3 && len(upper) >= 3 && bytes.Equal(lower[:3], upper[:3]) || sameSlotRange(lower, upper) {
			m.ro.SetPrefixSameAsStart(true)
		} else {
			m.ro.SetTotalOrderSeek(true)
		}
	}
	if lower != nil {
		m.ro.SetIterateLowerBound(lower)
	}
	if upper != nil {
		m.ro.SetIterateUpperBound(upper)
	}
	m.it = tx.e.db.NewIteratorCF(m.ro, tx.e.cfs[cf])
	if !tx.ov.empty() {
		m.collectOverlay(tx.ov, cf)
	}
	m.seekStart()
	return m
}

func (m *mergedIter) inRange(k []byte) bool {
	return (m.lower == nil || bytes.Compare(k, m.lower) >= 0) && (m.upper == nil || bytes.Compare(k, m.upper) < 0)
}

// collectOverlay gathers the pending writes of cf inside the range: the
// latest state of each key, a later range delete turning it into a delete.
func (m *mergedIter) collectOverlay(o *overlay, cf CF) {
	type point struct {
		pos int
		e   *ovEntry
	}
	var pts []point
	o.pending(cf, m.lower, m.upper, func(pos int, e *ovEntry) {
		if e.rng {
			m.ranges = append(m.ranges, ovRange{start: e.key, end: e.val, pos: pos})
			return
		}
		pts = append(pts, point{pos, e})
	})
	sort.Slice(pts, func(i, j int) bool {
		if c := bytes.Compare(pts[i].e.key, pts[j].e.key); c != 0 {
			return c < 0
		}
		return pts[i].pos < pts[j].pos
	})
	for i, p := range pts {
		if i+1 < len(pts) && bytes.Equal(p.e.key, pts[i+1].e.key) {
			continue // a later write of the same key wins
		}
		del := p.e.del
		for _, r := range m.ranges {
			if r.pos > p.pos && bytes.Compare(p.e.key, r.start) >= 0 && bytes.Compare(p.e.key, r.end) < 0 {
				del = true
				break
			}
		}
		m.ov = append(m.ov, ovKV{k: p.e.key, v: p.e.val, del: del})
	}
}

// ovRange is a pending range delete and its place in the group's writes.
type ovRange struct {
	start, end []byte
	pos        int
}

func (m *mergedIter) seekStart() {
	if m.reverse {
		m.it.SeekToLast()
		m.ovPos = len(m.ov) - 1
	} else {
		m.it.SeekToFirst()
		m.ovPos = 0
	}
	m.resetRaw()
	m.settle()
}

func (m *mergedIter) resetRaw() {
	m.recs = m.recs[:0]
	m.pos = 0
	m.rawDone = false
	m.batch = 16
}

// rawPeek returns the current committed entry not hidden by a pending range
// delete, refilling the batch as needed.
func (m *mergedIter) rawPeek() (kv, bool) {
	for {
		if m.pos >= len(m.recs) {
			if m.rawDone {
				return kv{}, false
			}
			if !m.it.Valid() {
				m.rawDone = true
				if err := m.it.Err(); err != nil && m.err == nil {
					m.err = readErr(err)
					if m.tx.memOnly {
						m.tx.aborted = true
					}
				}
				return kv{}, false
			}
			m.buf, m.recs = iterFill(m.it, m.reverse, m.buf, m.batch, m.recs)
			m.pos = 0
			if m.batch < 256 {
				m.batch *= 4
			}
			continue
		}
		r := m.recs[m.pos]
		if m.hiddenByRange(r.k) {
			m.pos++
			continue
		}
		return r, true
	}
}

func (m *mergedIter) hiddenByRange(k []byte) bool {
	for _, r := range m.ranges {
		if bytes.Compare(k, r.start) >= 0 && bytes.Compare(k, r.end) < 0 {
			return true
		}
	}
	return false
}

func (m *mergedIter) ovPeek() (ovKV, bool) {
	if m.ovPos < 0 || m.ovPos >= len(m.ov) {
		return ovKV{}, false
	}
	return m.ov[m.ovPos], true
}

func (m *mergedIter) ovAdvance() {
	if m.reverse {
		m.ovPos--
	} else {
		m.ovPos++
	}
}

// settle makes the current entry the next visible one.
func (m *mergedIter) settle() {
	for {
		r, rok := m.rawPeek()
		o, ook := m.ovPeek()
		if !rok && !ook {
			m.valid, m.k, m.v = false, nil, nil
			return
		}
		useOv := false
		if rok && ook {
			c := bytes.Compare(r.k, o.k)
			if m.reverse {
				c = -c
			}
			switch {
			case c == 0:
				m.pos++ // the pending write overrides the committed entry
				useOv = true
			case c > 0:
				useOv = true
			}
		} else {
			useOv = ook
		}
		if useOv {
			if o.del {
				m.ovAdvance()
				continue
			}
			m.k, m.v, m.valid = o.k, o.v, true
			return
		}
		m.k, m.v, m.valid = r.k, r.v, true
		return
	}
}

// Next moves to the following entry.
func (m *mergedIter) Next() {
	if !m.valid {
		return
	}
	// Exactly one source holds the current entry; advance it.
	if o, ok := m.ovPeek(); ok && bytes.Equal(o.k, m.k) && !o.del {
		m.ovAdvance()
	} else {
		m.pos++
	}
	m.settle()
}

// Seek positions at the first entry >= target (reverse: the last <= target).
func (m *mergedIter) Seek(target []byte) {
	if m.reverse {
		m.it.SeekForPrev(target)
		m.ovPos = sort.Search(len(m.ov), func(i int) bool { return bytes.Compare(m.ov[i].k, target) > 0 }) - 1
	} else {
		m.it.Seek(target)
		m.ovPos = sort.Search(len(m.ov), func(i int) bool { return bytes.Compare(m.ov[i].k, target) >= 0 })
	}
	m.resetRaw()
	m.settle()
}

// sameSlotRange reports whether [lower, upper) holds keys of one db·slot
// prefix only: upper is that prefix's successor.
func sameSlotRange(lower, upper []byte) bool {
	if len(lower) < 3 || len(upper) != 3 {
		return false
	}
	end := prefixEnd(lower[:3])
	return bytes.Equal(end, upper) || (len(end) < 3 && bytes.HasPrefix(upper, end))
}

// toEnd positions at the largest (last) or smallest entry, keeping the
// iterator's direction for later Next calls.
func (m *mergedIter) toEnd(last bool) {
	dir := m.reverse
	m.reverse = last
	m.seekStart()
	m.reverse = dir
	if !m.valid {
		return
	}
	k := append([]byte(nil), m.k...)
	m.Seek(k)
}

// back moves to the entry just below the current one (invalid if none),
// keeping the iterator's direction.
func (m *mergedIter) back() {
	if !m.valid {
		return
	}
	k := append([]byte(nil), m.k...)
	dir := m.reverse
	m.reverse = true
	m.Seek(k)
	if m.valid && bytes.Equal(m.k, k) {
		m.Next()
	}
	m.reverse = dir
	if m.valid {
		m.Seek(append([]byte(nil), m.k...))
	}
}

func (m *mergedIter) Valid() bool   { return m.valid }
func (m *mergedIter) Key() []byte   { return m.k }
func (m *mergedIter) Value() []byte { return m.v }

func (m *mergedIter) Err() error {
	if m.err != nil {
		return m.err
	}
	return m.it.Err()
}

func (m *mergedIter) Close() {
	m.it.Close()
	m.ro.Destroy()
}
