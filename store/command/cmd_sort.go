package command

import (
	"bytes"
	"math"
	"sort"

	"github.com/diskdb/diskdb/proto"
	"github.com/diskdb/diskdb/store"
)

// SORT and SORT_RO (sort.c) over lists, sets and sorted sets.
//
// BY and GET patterns containing '*' read other keys, which may live on any
// shard: such a SORT runs with every shard held (its KeysFn then names no
// key, which makes the dispatcher run it as a global command). Without
// them SORT holds only the shards of the source and the STORE destination.

func init() {
	register(
		&Spec{Name: "sort", Arity: -2, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, KeysFn: sortKeys, Handler: cmdSort, Group: "generic", Summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", Since: "1.0.0", ACL: []string{"dangerous"}},
		&Spec{Name: "sort_ro", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, KeysFn: sortKeys, Handler: cmdSortRO, Group: "generic", Summary: "Returns the sorted elements of a list, a set, or a sorted set.", Since: "7.0.0", ACL: []string{"dangerous"}},
	)
}

const errSortScores = "ERR One or more scores can't be converted into double"

// sortKeys returns the source and any STORE destination, or no key at all
// when a BY or GET pattern may name other keys (the command then holds
// every shard). It looks at every argument, whatever the options around
// it, so it never names fewer shards than the handler touches.
func sortKeys(args [][]byte, dst []int) []int {
	for i := 2; i+1 < len(args); i++ {
		if (cIs(args[i], "by") || cIs(args[i], "get")) && bytes.IndexByte(args[i+1], '*') >= 0 {
			return dst
		}
	}
	dst = append(dst, 1)
	for i := 2; i+1 < len(args); i++ {
		if cIs(args[i], "store") {
			dst = append(dst, i+1)
		}
	}
	return dst
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]
func cmdSort(c *Ctx) { sortGeneric(c, false) }

// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
func cmdSortRO(c *Ctx) { sortGeneric(c, true) }

// sortElem is one element being sorted: its value, its numeric score or
// (ALPHA with BY) the value it sorts by, nil when that key is missing.
type sortElem struct {
	obj   []byte
	score float64
	cmp   []byte
}

// sortNumber parses an element (or BY value) as SORT's strtod does: C
// spaces may lead, the number must run to the end or to a NUL byte (an
// empty string is 0), and NaN or a result out of range (overflow, or an
// underflow to zero or a subnormal, where strtod sets ERANGE) is an error.
func sortNumber(b []byte) (float64, bool) {
	b = cString(b)
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	f, ok := proto.ParseFloat(b[i:])
	if !ok || (f != 0 && math.Abs(f) < 0x1p-1022) {
		return 0, false
	}
	return f, true
}

// lookupByPattern is lookupKeyByPattern: "#" is the element itself;
// otherwise the first '*' of the pattern is replaced by the element and
// the key read, a string value, or with "->field" a hash field. A pattern
// without '*', a missing key or field, or another type gives nil.
func lookupByPattern(c *Ctx, pat, elem []byte) ([]byte, error) {
	cpat := cString(pat)
	if len(cpat) == 1 && cpat[0] == '#' {
		return elem, nil
	}
	star := bytes.IndexByte(cpat, '*')
	if star < 0 {
		return nil, nil
	}
	var field []byte
	post := pat[star+1:]
	if f := bytes.Index(cpat[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(cpat) {
		field = pat[star+1+f+2:]
		post = pat[star+1 : star+1+f]
	}
	key := make([]byte, 0, star+len(elem)+len(post))
	key = append(append(append(key, pat[:star]...), elem...), post...)
	m, ok, err := c.Tx.Lookup(c.DB, key)
	if err != nil || !ok {
		return nil, err
	}
	if field == nil {
		if m.Type != store.TypeString {
			return nil, nil
		}
		return append([]byte(nil), m.Body...), nil
	}
	if m.Type != store.TypeHash {
		return nil, nil
	}
	h, err := c.Tx.OpenHash(c.DB, key)
	if err != nil {
		return nil, err
	}
	v, ok, err := h.Get(field)
	if err != nil || !ok {
		return nil, err
	}
	return append([]byte(nil), v...), nil
}

func sortGeneric(c *Ctx, readonly bool) {
	desc, alpha, dontsort := false, false, false
	limitStart, limitCount := int64(0), int64(-1)
	var sortBy, storeKey []byte
	var gets [][]byte
	for j := 2; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch a := c.Args[j]; {
		case cIs(a, "asc"):
			desc = false
		case cIs(a, "desc"):
			desc = true
		case cIs(a, "alpha"):
			alpha = true
		case cIs(a, "limit") && left >= 2:
			var ok bool
			if limitStart, ok = c.Int64(j + 1); !ok {
				return
			}
			if limitCount, ok = c.Int64(j + 2); !ok {
				return
			}
			j += 2
		case !readonly && cIs(a, "store") && left >= 1:
			storeKey = c.Args[j+1]
			j++
		case cIs(a, "by") && left >= 1:
			sortBy = c.Args[j+1]
			if bytes.IndexByte(cString(sortBy), '*') < 0 {
				dontsort = true // and stays so, whatever a later BY says
			}
			j++
		case cIs(a, "get") && left >= 1:
			gets = append(gets, c.Args[j+1])
			j++
		default:
			c.Err(errSyntax)
			return
		}
	}

	key := c.Args[1]
	m, exists, err := c.Tx.Lookup(c.DB, key)
	if err != nil {
		c.StoreErr(err)
		return
	}
	typ := store.TypeList // an absent key sorts as an empty list
	if exists {
		typ = m.Type
		if typ != store.TypeList && typ != store.TypeSet && typ != store.TypeZSet {
			c.Err(errWrongType)
			return
		}
	}
	// A set has no order of its own: stored results are sorted anyway.
	if dontsort && typ == store.TypeSet && storeKey != nil {
		dontsort, alpha, sortBy = false, true, nil
	}

	length := int64(0)
	if exists {
		length = int64(m.Count)
	}
	start := max(limitStart, 0)
	end := length - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
		if end < start-1 { // the sum overflowed
			end = length - 1
		}
	}
	if start >= length {
		start, end = length-1, length-2
	}
	if end >= length {
		end = length - 1
	}

	// Load the elements; lists and sorted sets that keep their own order
	// load only the LIMIT range.
	var vec []sortElem
	add := func(e []byte) { vec = append(vec, sortElem{obj: append([]byte(nil), e...)}) }
	switch {
	case !exists:
	case typ == store.TypeList:
		l, err := c.Tx.OpenList(c.DB, key)
		if err != nil {
			c.StoreErr(err)
			return
		}
		from, to := int64(0), int64(-1)
		if dontsort {
			if end < start {
				break
			}
			from, to = start, end
			if desc {
				from, to = length-1-end, length-1-start
			}
			end -= start
			start = 0
		}
		if err := l.Range(from, to, add); err != nil {
			c.StoreErr(err)
			return
		}
		if dontsort && desc {
			for i, j := 0, len(vec)-1; i < j; i, j = i+1, j-1 {
				vec[i], vec[j] = vec[j], vec[i]
			}
		}
	case typ == store.TypeSet:
		ms, err := c.Tx.SMembers(c.DB, key)
		if err != nil {
			c.StoreErr(err)
			return
		}
		for _, e := range ms {
			vec = append(vec, sortElem{obj: e})
		}
	case typ == store.TypeZSet && dontsort:
		if end >= start {
			es, err := c.Tx.ZRange(c.DB, key, store.ZRange{Kind: store.ZByRank, Start: start, Stop: end, Rev: desc})
			if err != nil {
				c.StoreErr(err)
				return
			}
			for _, e := range es {
				vec = append(vec, sortElem{obj: e.Member})
			}
		}
		end -= start
		start = 0
	default: // a sorted set to sort
		es, err := c.Tx.ZRange(c.DB, key, store.ZRange{Kind: store.ZByRank, Start: 0, Stop: -1})
		if err != nil {
			c.StoreErr(err)
			return
		}
		for _, e := range es {
			vec = append(vec, sortElem{obj: e.Member})
		}
	}

	convErr := false
	if !dontsort {
		for i := range vec {
			by := vec[i].obj
			if sortBy != nil {
				v, err := lookupByPattern(c, sortBy, vec[i].obj)
				if err != nil {
					c.StoreErr(err)
					return
				}
				if v == nil {
					continue
				}
				by = v
			}
			if alpha {
				if sortBy != nil {
					vec[i].cmp = by
				}
				continue
			}
			f, ok := sortNumber(by)
			if !ok {
				convErr = true
			}
			vec[i].score = f
		}
		stored := storeKey != nil
		cmp := func(a, b *sortElem) int {
			var r int
			switch {
			case !alpha:
				switch {
				case a.score > b.score:
					r = 1
				case a.score < b.score:
					r = -1
				default:
					r = bytes.Compare(a.obj, b.obj)
				}
			case sortBy != nil:
				switch {
				case a.cmp == nil && b.cmp == nil:
					r = 0
				case a.cmp == nil:
					r = -1
				case b.cmp == nil:
					r = 1
				case stored:
					r = bytes.Compare(a.cmp, b.cmp)
				default:
					r = bytes.Compare(cString(a.cmp), cString(b.cmp)) // strcoll, C locale
				}
			case stored:
				r = bytes.Compare(a.obj, b.obj)
			default:
				r = bytes.Compare(cString(a.obj), cString(b.obj))
			}
			if desc {
				r = -r
			}
			return r
		}
		if sortBy != nil && (start != 0 || end != int64(len(vec))-1) {
			store.PQSort(vec, cmp, int(start), int(end))
		} else {
			// glibc's qsort is a merge sort: stable.
			sort.SliceStable(vec, func(i, j int) bool { return cmp(&vec[i], &vec[j]) < 0 })
		}
	}

	n := end - start + 1
	outLen := n
	if len(gets) > 0 {
		outLen = int64(len(gets)) * n
	}
	if convErr {
		c.Err(errSortScores)
		return
	}
	if storeKey == nil {
		c.Array(int(outLen))
		for j := start; j <= end; j++ {
			if len(gets) == 0 {
				c.Bulk(vec[j].obj)
			}
			for _, g := range gets {
				v, err := lookupByPattern(c, g, vec[j].obj)
				if err != nil {
					c.StoreErr(err)
					return
				}
				if v == nil {
					c.Null()
				} else {
					c.Bulk(v)
				}
			}
		}
		return
	}
	var out [][]byte
	for j := start; j <= end; j++ {
		if len(gets) == 0 {
			out = append(out, vec[j].obj)
		}
		for _, g := range gets {
			v, err := lookupByPattern(c, g, vec[j].obj)
			if err != nil {
				c.StoreErr(err)
				return
			}
			if v == nil {
				v = []byte{}
			}
			out = append(out, v)
		}
	}
	deleted, err := c.Tx.Delete(c.DB, storeKey)
	if err != nil {
		c.StoreErr(err)
		return
	}
	if len(out) == 0 {
		if deleted {
			c.Tx.Notify(c.DB, "del", storeKey)
		}
		c.Int(0)
		return
	}
	l, err := c.Tx.OpenList(c.DB, storeKey)
	if err == nil {
		err = l.Push(false, out...)
	}
	if err != nil {
		c.StoreErr(err)
		return
	}
	l.Save()
	c.Tx.Notify(c.DB, "sortstore", storeKey)
	c.Int(outLen)
}
