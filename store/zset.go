package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sort"
)

// Sorted sets (Redis's t_zset.c), as drawn in doc.go: a metadata record
// (TypeZSet, id, count = the cardinality) and two entries per member:
//
//	CFSub    id · member               →  score (8 bytes, EncodeScore)
//	CFScore  id · score (8) · member   →  empty
//
// ZSCORE is one point read of CFSub; every ordered read (ranges, ranks,
// pops) walks CFScore, whose byte order is Redis's order: by score, equal
// scores by member bytes. Range reads seek to their first element and stop
// at their last, so a bounded request never reads the whole set. Ranks
// have no index: ZRANK and rank ranges cost O(rank) element steps, counted
// from whichever end is nearer.
//
// A score is stored with negative zero normalised to zero, as Redis stores
// it in the listpack encoding that every small sorted set uses (replies that
// are computed rather than stored, such as ZINCRBY's, keep the sign).

// ErrNaNScore is returned when an increment makes a score NaN.
var ErrNaNScore = errors.New("ERR resulting score is not a number (NaN)")

// ZEntry is one member of a sorted set with its score.
type ZEntry struct {
	Member []byte
	Score  float64
}

// ZADD flags.
const (
	ZAddNX = 1 << iota
	ZAddXX
	ZAddGT
	ZAddLT
	ZAddIncr
)

// ZAddResult reports what ZAdd did.
type ZAddResult struct {
	Added     int64   // new members
	Updated   int64   // members whose score changed
	Processed int64   // pairs not skipped by NX, XX, GT or LT
	Score     float64 // the last processed pair's new score (for INCR)
}

// zkey appends the CFScore element key of (score, member).
func zkey(dst []byte, score float64, member []byte) []byte {
	return append(EncodeScore(dst, score), member...)
}

// zget reads member's score.
func (c *coll) zget(member []byte) (float64, bool, error) {
	v, ok, err := c.getElem(CFSub, member)
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, ErrCorrupt
	}
	return DecodeScore(v), true, nil
}

// zset writes member with score, replacing its old score if it had one.
// buf is scratch space for the score key; zset returns it, maybe grown.
func (c *coll) zset(buf []byte, member []byte, score, old float64, had bool) []byte {
	tx := c.tx
	if had {
		buf = zkey(buf[:0], old, member)
		tx.DelElem(CFScore, c.m.ID, buf)
	}
	buf = zkey(buf[:0], score, member)
	tx.PutElem(CFScore, c.m.ID, buf, nil)
	tx.PutElem(CFSub, c.m.ID, member, buf[:8])
	return buf
}

// zdel deletes member, whose score is score (buf as for zset).
func (c *coll) zdel(buf []byte, member []byte, score float64) []byte {
	buf = zkey(buf[:0], score, member)
	c.tx.DelElem(CFScore, c.m.ID, buf)
	c.tx.DelElem(CFSub, c.m.ID, member)
	return buf
}

// ZAdd adds or updates the (scores[i], members[i]) pairs of the sorted set
// at key per flags (ZAddNX ...), creating the key unless ZAddXX. With
// ZAddIncr the score is an increment (one pair). A NaN sum fails with
// ErrNaNScore. Flag conflicts are the caller's to reject.
func (tx *Tx) ZAdd(db int, key []byte, flags int, scores []float64, members [][]byte) (ZAddResult, error) {
	var r ZAddResult
	c, err := tx.openColl(db, key, TypeZSet)
	if err != nil {
		return r, err
	}
	nx, xx, gt, lt, incr := flags&ZAddNX != 0, flags&ZAddXX != 0, flags&ZAddGT != 0, flags&ZAddLT != 0, flags&ZAddIncr != 0
	if !c.exists {
		if xx {
			return r, nil
		}
		if err := c.create(TypeZSet); err != nil {
			return r, err
		}
	}
	var scratch [64]byte // score keys of short members stay on the stack
	buf := scratch[:0]
	for i, mb := range members {
		score := scores[i]
		cur, found, err := c.zget(mb)
		if err != nil {
			c.save()
			return r, err
		}
		switch {
		case found:
			if nx {
				continue
			}
			if incr {
				score += cur
				if math.IsNaN(score) {
					c.save()
					return r, ErrNaNScore
				}
			}
			if (lt && score >= cur) || (gt && score <= cur) {
				continue
			}
			if score != cur {
				buf = c.zset(buf, mb, score, cur, true)
				r.Updated++
			}
		case !xx:
			buf = c.zset(buf, mb, score, 0, false)
			c.m.Count++
			r.Added++
		default:
			continue
		}
		r.Processed++
		r.Score = score
	}
	c.save()
	return r, nil
}

// ZRem removes members from the sorted set at key. It returns how many were
// members and whether the set became empty (and was deleted).
func (tx *Tx) ZRem(db int, key []byte, members [][]byte) (int64, bool, error) {
	c, err := tx.openColl(db, key, TypeZSet)
	if err != nil || !c.exists {
		return 0, false, err
	}
	var n int64
	var scratch [64]byte // score keys of short members stay on the stack
	buf := scratch[:0]
	for _, mb := range members {
		score, ok, err := c.zget(mb)
		if err != nil {
			return n, c.save(), err
		}
		if ok {
			buf = c.zdel(buf, mb, score)
			c.m.Count--
			n++
		}
	}
	return n, c.save(), nil
}

// ZScore returns member's score in the sorted set at key.
func (tx *Tx) ZScore(db int, key, member []byte) (float64, bool, error) {
	c, err := tx.openColl(db, key, TypeZSet)
	if err != nil || !c.exists {
		return 0, false, err
	}
	return c.zget(member)
}

// ZMScore returns the scores of members (ok[i] false for a non-member).
func (tx *Tx) ZMScore(db int, key []byte, members [][]byte) (scores []float64, ok []bool, err error) {
	c, err := tx.openColl(db, key, TypeZSet)
	if err != nil {
		return nil, nil, err
	}
	scores, ok = make([]float64, len(members)), make([]bool, len(members))
	if !c.exists {
		return scores, ok, nil
	}
	for i, mb := range members {
		if scores[i], ok[i], err = c.zget(mb); err != nil {
			return nil, nil, err
		}
	}
	return scores, ok, nil
}

// ZCard returns the cardinality of the sorted set at key (0 if absent).
func (tx *Tx) ZCard(db int, key []byte) (int64, error) {
	m, ok, err := tx.LookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	return int64(m.Count), nil
}

// ZRank returns member's rank (0-based, by ascending score; rev: by
// descending score). There is no rank index: it counts the elements on
// both sides of the member in step, so the cost is O(min(rank, N-rank)).
func (tx *Tx) ZRank(db int, key, member []byte, rev bool) (int64, bool, error) {
	c, err := tx.openColl(db, key, TypeZSet)
	if err != nil || !c.exists {
		return 0, false, err
	}
	score, ok, err := c.zget(member)
	if err != nil || !ok {
		return 0, false, err
	}
	k := zkey(nil, score, member)
	before := tx.Iter(CFScore, c.m.ID, nil, k, true)
	defer before.Close()
	after := tx.Iter(CFScore, c.m.ID, append(k, 0), nil, false)
	defer after.Close()
	var n int64
	for before.Valid() && after.Valid() {
		before.Next()
		after.Next()
		n++
	}
	if err := before.Err(); err != nil {
		return 0, false, err
	}
	if err := after.Err(); err != nil {
		return 0, false, err
	}
	// n elements on the side that ran out (both, if they did together).
	rank := n
	if before.Valid() {
		rank = int64(c.m.Count) - 1 - n
	}
	if rev {
		rank = int64(c.m.Count) - 1 - rank
	}
	return rank, true, nil
}

// --- ranges ---

// ZRangeKind says how a ZRange selects elements.
type ZRangeKind int

// Range kinds.
const (
	ZByRank ZRangeKind = iota
	ZByScore
	ZByLex
)

// ScoreRange is a score interval; MinEx/MaxEx make an end exclusive.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// LexBound is one end of a lexicographic range: a member (inclusive or
// exclusive) or one of the infinities "-" and "+".
type LexBound struct {
	Value []byte
	Ex    bool
	Inf   int // -1: "-", +1: "+", 0: Value
}

// LexRange is a lexicographic interval of members.
type LexRange struct{ Min, Max LexBound }

func (r *LexRange) gteMin(m []byte) bool {
	switch r.Min.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	c := bytes.Compare(m, r.Min.Value)
	return c > 0 || (c == 0 && !r.Min.Ex)
}

func (r *LexRange) lteMax(m []byte) bool {
	switch r.Max.Inf {
	case 1:
		return true
	case -1:
		return false
	}
	c := bytes.Compare(m, r.Max.Value)
	return c < 0 || (c == 0 && !r.Max.Ex)
}

// ZRange selects elements of a sorted set, as ZRANGE's forms do.
type ZRange struct {
	Kind        ZRangeKind
	Start, Stop int64 // ZByRank: Redis indexes (negative from the end)
	Score       ScoreRange
	Lex         LexRange
	Rev         bool  // descending order (ranks count from the highest)
	Offset      int64 // ZByScore, ZByLex: elements to skip (< 0: none left)
	Limit       int64 // ZByScore, ZByLex: at most this many (< 0: all)
}

// zwalk calls fn with the elements r selects from the zset m, in r's
// order, until fn returns false. Members are valid during the call;
// scores are read from the keys.
func (tx *Tx) zwalk(m *Meta, r *ZRange, fn func(member []byte, score float64) bool) error {
	switch r.Kind {
	case ZByRank:
		return tx.zwalkRank(m, r, fn)
	case ZByScore:
		return tx.zwalkScore(m, r, fn)
	}
	return tx.zwalkLex(m, r, fn)
}

// rankSpan turns Redis indexes into forward positions [a, b] of an
// n-element zset; ok false for an empty range.
func rankSpan(start, stop int64, n int64, rev bool) (a, b int64, ok bool) {
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
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	if rev {
		return n - 1 - stop, n - 1 - start, true
	}
	return start, stop, true
}

// zwalkRank walks forward positions [a, b] from the nearer end. When that
// end is not the one the output starts from, it collects the span and
// replays it backwards.
func (tx *Tx) zwalkRank(m *Meta, r *ZRange, fn func([]byte, float64) bool) error {
	n := int64(m.Count)
	a, b, ok := rankSpan(r.Start, r.Stop, n, r.Rev)
	if !ok {
		return nil
	}
	fromEnd := n-1-b < a
	it := tx.Iter(CFScore, m.ID, nil, nil, fromEnd)
	defer it.Close()
	skip := a
	if fromEnd {
		skip = n - 1 - b
	}
	for ; skip > 0 && it.Valid(); skip-- {
		it.Next()
	}
	want := b - a + 1
	if fromEnd == r.Rev {
		for ; want > 0 && it.Valid(); want-- {
			k := it.Key()
			if !fn(k[8:], DecodeScore(k)) {
				break
			}
			it.Next()
		}
		return it.Err()
	}
	var a2 arena
	var scores []float64
	for ; want > 0 && it.Valid(); want-- {
		k := it.Key()
		a2.add(k[8:])
		scores = append(scores, DecodeScore(k))
		it.Next()
	}
	if err := it.Err(); err != nil {
		return err
	}
	ms := a2.slices()
	for i := len(ms) - 1; i >= 0; i-- {
		if !fn(ms[i], scores[i]) {
			break
		}
	}
	return nil
}

// scoreBounds returns the CFScore element-key bounds [lo, hi) of sr.
func scoreBounds(sr *ScoreRange) (lo, hi []byte, ok bool) {
	if sr.Min > sr.Max || (sr.Min == sr.Max && (sr.MinEx || sr.MaxEx)) {
		return nil, nil, false
	}
	l := binary.BigEndian.Uint64(EncodeScore(nil, sr.Min))
	h := binary.BigEndian.Uint64(EncodeScore(nil, sr.Max))
	if sr.MinEx {
		l++
	}
	if !sr.MaxEx {
		h++
	}
	if l >= h {
		return nil, nil, false
	}
	return binary.BigEndian.AppendUint64(nil, l), binary.BigEndian.AppendUint64(nil, h), true
}

func (tx *Tx) zwalkScore(m *Meta, r *ZRange, fn func([]byte, float64) bool) error {
	lo, hi, ok := scoreBounds(&r.Score)
	if !ok || r.Offset < 0 || r.Limit == 0 {
		return nil
	}
	if r.Offset > 0 && uint64(r.Offset) >= m.Count {
		return nil
	}
	it := tx.Iter(CFScore, m.ID, lo, hi, r.Rev)
	defer it.Close()
	return walkLimited(it, r, nil, fn)
}

// walkLimited applies r's offset and limit to an iterator already at the
// range's first element; stop (may be nil) ends the range.
func walkLimited(it *ElemIter, r *ZRange, stop func(member []byte) bool, fn func([]byte, float64) bool) error {
	for off := r.Offset; off > 0 && it.Valid(); off-- {
		it.Next() // as Redis: the offset skips without looking
	}
	for limit := r.Limit; limit != 0 && it.Valid(); limit-- {
		k := it.Key()
		if stop != nil && stop(k[8:]) {
			break
		}
		if !fn(k[8:], DecodeScore(k)) {
			break
		}
		it.Next()
	}
	return it.Err()
}

// zwalkLex walks a lexicographic range. It relies on Redis's rule for
// ZRANGEBYLEX: all members have the same score. It seeks to the range's
// first member among those with the first (last, in reverse) element's
// score and stops at the first member past the other end.
func (tx *Tx) zwalkLex(m *Meta, r *ZRange, fn func([]byte, float64) bool) error {
	lr := &r.Lex
	if lr.Min.Inf == 1 || lr.Max.Inf == -1 || r.Offset < 0 || r.Limit == 0 {
		return nil
	}
	if lr.Min.Inf == 0 && lr.Max.Inf == 0 {
		c := bytes.Compare(lr.Min.Value, lr.Max.Value)
		if c > 0 || (c == 0 && (lr.Min.Ex || lr.Max.Ex)) {
			return nil
		}
	}
	it := tx.Iter(CFScore, m.ID, nil, nil, r.Rev)
	defer it.Close()
	if !it.Valid() {
		return it.Err()
	}
	if !r.Rev {
		if lr.Min.Inf == 0 {
			k := it.Key()
			it.Seek(m.ID, append(k[:8:8], lr.Min.Value...))
			if lr.Min.Ex && it.Valid() && bytes.Equal(it.Key()[8:], lr.Min.Value) {
				it.Next()
			}
		}
		return walkLimited(it, r, func(mb []byte) bool { return !lr.lteMax(mb) }, fn)
	}
	if lr.Max.Inf == 0 {
		k := it.Key()
		it.Seek(m.ID, append(k[:8:8], lr.Max.Value...))
		if lr.Max.Ex && it.Valid() && bytes.Equal(it.Key()[8:], lr.Max.Value) {
			it.Next()
		}
	}
	return walkLimited(it, r, func(mb []byte) bool { return !lr.gteMin(mb) }, fn)
}

// ZRange returns the elements r selects from the sorted set at key, in
// r's order (copies).
func (tx *Tx) ZRange(db int, key []byte, r ZRange) ([]ZEntry, error) {
	m, ok, err := tx.LookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return nil, err
	}
	var a arena
	var scores []float64
	if r.Kind == ZByRank {
		if x, y, ok := rankSpan(r.Start, r.Stop, int64(m.Count), r.Rev); ok {
			scores = make([]float64, 0, min(y-x+1, 1<<16))
		}
	}
	err = tx.zwalk(&m, &r, func(mb []byte, score float64) bool {
		a.add(mb)
		scores = append(scores, score)
		return true
	})
	return zentries(&a, scores), err
}

func zentries(a *arena, scores []float64) []ZEntry {
	ms := a.slices()
	out := make([]ZEntry, len(ms))
	for i := range ms {
		out[i] = ZEntry{ms[i], scores[i]}
	}
	return out
}

// ZCount counts the elements r selects (ZCOUNT, ZLEXCOUNT): O(count).
func (tx *Tx) ZCount(db int, key []byte, r ZRange) (int64, error) {
	m, ok, err := tx.LookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	var n int64
	err = tx.zwalk(&m, &r, func([]byte, float64) bool { n++; return true })
	return n, err
}

// ZRemRange removes the elements r selects. It returns how many and
// whether the set became empty (and was deleted).
func (tx *Tx) ZRemRange(db int, key []byte, r ZRange) (int64, bool, error) {
	c, err := tx.openColl(db, key, TypeZSet)
	if err != nil || !c.exists {
		return 0, false, err
	}
	var a arena
	var scores []float64
	err = tx.zwalk(&c.m, &r, func(mb []byte, score float64) bool {
		a.add(mb)
		scores = append(scores, score)
		return true
	})
	if err != nil {
		return 0, false, err
	}
	ms := a.slices()
	if uint64(len(ms)) == c.m.Count && len(ms) > 0 {
		tx.dropAll(&c, func() {
			var scratch [64]byte // score keys of short members stay on the stack
			buf := scratch[:0]
			for i, mb := range ms {
				buf = c.zdel(buf, mb, scores[i])
			}
		})
		return int64(len(ms)), true, nil
	}
	var scratch [64]byte // score keys of short members stay on the stack
	buf := scratch[:0]
	for i, mb := range ms {
		buf = c.zdel(buf, mb, scores[i])
		c.m.Count--
	}
	return int64(len(ms)), c.save(), nil
}

// ZPop removes and returns up to n elements with the lowest (max: highest)
// scores, in pop order, and whether the set became empty (and was deleted).
func (tx *Tx) ZPop(db int, key []byte, n int64, max bool) ([]ZEntry, bool, error) {
	c, err := tx.openColl(db, key, TypeZSet)
	if err != nil || !c.exists || n <= 0 {
		return nil, false, err
	}
	var a arena
	scores := make([]float64, 0, min(n, 1<<16))
	it := tx.Iter(CFScore, c.m.ID, nil, nil, max)
	for i := int64(0); i < n && it.Valid(); i++ {
		k := it.Key()
		a.add(k[8:])
		scores = append(scores, DecodeScore(k))
		it.Next()
	}
	err = it.Err()
	it.Close()
	if err != nil {
		return nil, false, err
	}
	out := zentries(&a, scores)
	del := func() {
		var scratch [64]byte // score keys of short members stay on the stack
		buf := scratch[:0]
		for _, e := range out {
			buf = c.zdel(buf, e.Member, e.Score)
			c.m.Count--
		}
	}
	if uint64(len(out)) >= c.m.Count {
		tx.dropAll(&c, del)
		return out, true, nil
	}
	del()
	return out, c.save(), nil
}

// ZRandMember returns n random elements of the sorted set at key: distinct
// ones (at most the set's size; when n covers it, the whole set from the
// highest score down, the order Redis's set iterator yields) or, with
// repeat, n independent picks.
func (tx *Tx) ZRandMember(db int, key []byte, n int64, repeat bool) ([]ZEntry, error) {
	m, ok, err := tx.LookupType(db, key, TypeZSet)
	if err != nil || !ok || n <= 0 {
		return nil, err
	}
	if !repeat && uint64(n) >= m.Count {
		return tx.ZRange(db, key, ZRange{Kind: ZByRank, Start: 0, Stop: -1, Rev: true})
	}
	keys, vals, err := tx.sample(CFSub, &m, int(min(n, MaxRandomCount)), repeat, true)
	out := make([]ZEntry, len(keys))
	for i := range keys {
		out[i].Member = keys[i]
		if len(vals[i]) == 8 {
			out[i].Score = DecodeScore(vals[i])
		}
	}
	return out, err
}

// ZScanAll is the size up to which ZScan returns the whole sorted set in
// one call, in score order, as Redis does for its small (listpack) sets.
const ZScanAll = 128

// ZScan walks up to count members of the sorted set at key after position
// after (nil: from the start) and returns those that match (match nil:
// all) and the position to resume from (nil: complete). Sets of at most
// ZScanAll elements come whole, in score order; bigger ones by member.
func (tx *Tx) ZScan(db int, key, after []byte, count int, match func([]byte) bool) ([]ZEntry, []byte, error) {
	m, ok, err := tx.LookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return nil, nil, err
	}
	var a arena
	var scores []float64
	add := func(mb []byte, score float64) {
		if match == nil || match(mb) {
			a.add(mb)
			scores = append(scores, score)
		}
	}
	if m.Count <= ZScanAll {
		r := ZRange{Kind: ZByRank, Start: 0, Stop: -1}
		err := tx.zwalk(&m, &r, func(mb []byte, score float64) bool { add(mb, score); return true })
		return zentries(&a, scores), nil, err
	}
	next, err := tx.scanElems(CFSub, m.ID, after, count, true, func(k, v []byte) {
		if len(v) == 8 {
			add(k, DecodeScore(v))
		}
	})
	return zentries(&a, scores), next, err
}

// ZStore makes key a sorted set of entries (distinct members), replacing
// whatever it held; no entries deletes key. It reports whether key held a
// value before.
func (tx *Tx) ZStore(db int, key []byte, entries []ZEntry) (bool, error) {
	had, err := tx.replaceKey(db, key)
	if err != nil || len(entries) == 0 {
		return had, err
	}
	id, err := tx.NewID()
	if err != nil {
		return had, err
	}
	c := coll{tx: tx, db: db, key: key, m: Meta{Type: TypeZSet, ID: id, Count: uint64(len(entries))}}
	var scratch [64]byte // score keys of short members stay on the stack
	buf := scratch[:0]
	for _, e := range entries {
		buf = c.zset(buf, e.Member, e.Score, 0, false)
	}
	tx.PutMeta(db, key, &c.m, nil)
	return had, nil
}

// --- ZUNION, ZINTER, ZDIFF ---

// Aggregate functions of ZUNION and ZINTER.
const (
	AggSum = iota
	AggMin
	AggMax
)

// zsrc is an input of a sorted-set operation: a sorted set, a set (every
// member scores 1) or an absent key (empty).
type zsrc struct {
	m      Meta
	weight float64
}

func (s *zsrc) size() uint64 {
	if s.m.ID == 0 {
		return 0
	}
	return s.m.Count
}

// find returns member's (unweighted) score in s.
func (tx *Tx) zfind(s *zsrc, member []byte) (float64, bool, error) {
	v, ok, err := tx.GetElem(CFSub, s.m.ID, member)
	if err != nil || !ok {
		return 0, false, err
	}
	if s.m.Type == TypeSet {
		return 1, true, nil
	}
	if len(v) != 8 {
		return 0, false, ErrCorrupt
	}
	return DecodeScore(v), true, nil
}

// zeach calls fn with every member of s and its (unweighted) score.
func (tx *Tx) zeach(s *zsrc, fn func(member []byte, score float64) bool) error {
	if s.m.ID == 0 {
		return nil
	}
	it := tx.Iter(CFSub, s.m.ID, nil, nil, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := it.Key()
		score := 1.0
		if s.m.Type == TypeZSet {
			v := it.Value()
			if len(v) != 8 {
				return ErrCorrupt
			}
			score = DecodeScore(v)
		}
		if !fn(k, score) {
			break
		}
	}
	return it.Err()
}

// openZSources looks up every key (sets and sorted sets; others fail with
// ErrWrongType) before anything is computed, as Redis does.
func (tx *Tx) openZSources(db int, keys [][]byte, weights []float64) ([]zsrc, error) {
	srcs := make([]zsrc, len(keys))
	for i, k := range keys {
		m, ok, err := tx.Lookup(db, k)
		if err != nil {
			return nil, err
		}
		if ok {
			if m.Type != TypeZSet && m.Type != TypeSet {
				return nil, ErrWrongType
			}
			m.Body = nil
			srcs[i].m = m
		}
		srcs[i].weight = 1
		if weights != nil {
			srcs[i].weight = weights[i]
		}
	}
	return srcs, nil
}

func aggregate(target *float64, v float64, agg int) {
	switch agg {
	case AggSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case AggMin:
		if v < *target {
			*target = v
		}
	case AggMax:
		if v > *target {
			*target = v
		}
	}
}

// ZSetAlgebra computes ZUNION, ZINTER or ZDIFF (op) over the sets and
// sorted sets at keys (absent keys are empty; set members score 1), with
// weights (nil: all 1; ignored by SetDiff) and an aggregate (AggSum ...).
// The result is ordered as a sorted set. Scores follow Redis's arithmetic:
// inputs are taken from the smallest to the largest, a NaN product or sum
// counts as 0.
func (tx *Tx) ZSetAlgebra(db int, op SetOp, keys [][]byte, weights []float64, agg int) ([]ZEntry, error) {
	srcs, err := tx.openZSources(db, keys, weights)
	if err != nil {
		return nil, err
	}
	var out []ZEntry
	var a arena
	var scores []float64
	switch op {
	case SetInter:
		sortBySize(srcs)
		_, err = tx.zinter(srcs, agg, 0, func(mb []byte, score float64) {
			a.add(mb)
			scores = append(scores, score)
		})
		out = zentries(&a, scores)
	case SetUnion:
		sortBySize(srcs)
		index := map[string]int{}
		for i := range srcs {
			w := srcs[i].weight
			err = tx.zeach(&srcs[i], func(mb []byte, s float64) bool {
				score := w * s
				if math.IsNaN(score) {
					score = 0
				}
				if j, ok := index[string(mb)]; ok {
					aggregate(&scores[j], score, agg)
					return true
				}
				index[string(mb)] = len(scores)
				a.add(mb)
				scores = append(scores, score)
				return true
			})
			if err != nil {
				return nil, err
			}
		}
		out = zentries(&a, scores)
	case SetDiff:
		var findErr error
		err = tx.zeach(&srcs[0], func(mb []byte, s float64) bool {
			for j := 1; j < len(srcs); j++ {
				if srcs[j].m.ID == 0 {
					continue
				}
				_, in, e := tx.zfind(&srcs[j], mb)
				if e != nil {
					findErr = e
					return false
				}
				if in {
					return true
				}
			}
			a.add(mb)
			scores = append(scores, s)
			return true
		})
		if err == nil {
			err = findErr
		}
		out = zentries(&a, scores)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y ZEntry) int {
		if c := cmp.Compare(x.Score, y.Score); c != 0 {
			return c
		}
		return bytes.Compare(x.Member, y.Member)
	})
	return out, nil
}

// ZInterCard returns the size of the intersection of the sets and sorted
// sets at keys, counting no further than limit (0: no limit).
func (tx *Tx) ZInterCard(db int, keys [][]byte, limit int64) (int64, error) {
	srcs, err := tx.openZSources(db, keys, nil)
	if err != nil {
		return 0, err
	}
	sortBySize(srcs)
	return tx.zinter(srcs, AggSum, limit, nil)
}

// sortBySize orders inputs from the smallest, as Redis does before a union
// or intersection (the order of floating-point sums follows it).
func sortBySize(srcs []zsrc) {
	sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].size() < srcs[j].size() })
}

// zinter walks the smallest input and looks each member up in the others.
func (tx *Tx) zinter(srcs []zsrc, agg int, limit int64, emit func([]byte, float64)) (int64, error) {
	if srcs[0].size() == 0 {
		return 0, nil
	}
	var n int64
	var err error
	first := &srcs[0]
	walkErr := tx.zeach(first, func(mb []byte, s float64) bool {
		score := first.weight * s
		if math.IsNaN(score) {
			score = 0
		}
		for j := 1; j < len(srcs); j++ {
			var v float64
			if srcs[j].m.ID == first.m.ID {
				v = s
			} else {
				var in bool
				v, in, err = tx.zfind(&srcs[j], mb)
				if err != nil {
					return false
				}
				if !in {
					return true
				}
			}
			aggregate(&score, v*srcs[j].weight, agg)
		}
		n++
		if emit != nil {
			emit(mb, score)
		}
		return limit <= 0 || n < limit
	})
	if err == nil {
		err = walkErr
	}
	return n, err
}
