package store

import (
	"errors"
	"math"
	"strconv"
)

// Strings: the value lives in the metadata record, so GET is one read.
// Bitmaps and HyperLogLogs are strings too.

// Errors of the string API, worded as redis-server words them.
var (
	ErrNotInteger    = errors.New("ERR value is not an integer or out of range")
	ErrIncrOverflow  = errors.New("ERR increment or decrement would overflow")
	ErrStringTooLong = errors.New("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
)

// GetString returns the value of a string key. ErrWrongType for other types.
// The value is valid until the next write or the end of the task.
func (tx *Tx) GetString(db int, key []byte) ([]byte, bool, error) {
	m, ok, err := tx.LookupType(db, key, TypeString)
	if err != nil || !ok {
		return nil, false, err
	}
	return m.Body, true, nil
}

// SetString makes key a string holding val with expiry expire (unix ms, 0
// none), replacing any value of any type. old is the key's live metadata
// from Lookup, nil if absent.
func (tx *Tx) SetString(db int, key, val []byte, expire int64, old *Meta) {
	tx.SetValue(db, key, TypeString, val, expire, old)
}

// SetValue writes an inline-valued key (string, JSON) of type t.
func (tx *Tx) SetValue(db int, key []byte, t Type, val []byte, expire int64, old *Meta) {
	m := Meta{Type: t, Expire: expire, Body: val}
	if old != nil && isCollection(old.Type) {
		tx.DeleteKey(db, key, old)
		old = nil
	}
	tx.PutMeta(db, key, &m, old)
}

// ReplaceString gives the existing string key (live metadata m) the value
// val and keeps its expiry, as Redis's in-place string edits do; m == nil
// creates the key without expiry.
func (tx *Tx) ReplaceString(db int, key, val []byte, m *Meta) {
	var exp int64
	if m != nil {
		exp = m.Expire
	}
	tx.SetString(db, key, val, exp, m)
}

// StringFits reports whether a string of cur+add bytes stays within limit
// bytes, without overflowing (Redis's checkStringLength).
func StringFits(cur, add, limit int64) bool {
	if cur < 0 || add < 0 || cur > math.MaxInt64-add {
		return false
	}
	return cur+add <= limit
}

// IncrString adds by to the integer held by the string at key (0 when the
// key is absent) and keeps the key's expiry. It returns the new value;
// ErrWrongType, ErrNotInteger when the value is not a canonical int64,
// ErrIncrOverflow when the sum leaves int64.
func (tx *Tx) IncrString(db int, key []byte, by int64) (int64, error) {
	m, found, err := tx.LookupType(db, key, TypeString)
	if err != nil {
		return 0, err
	}
	var cur int64
	if found {
		v, ok := parseInt(m.Body)
		if !ok {
			return 0, ErrNotInteger
		}
		cur = v
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		return 0, ErrIncrOverflow
	}
	cur += by
	var buf [20]byte
	val := strconv.AppendInt(buf[:0], cur, 10)
	if found {
		tx.ReplaceString(db, key, val, &m)
	} else {
		tx.ReplaceString(db, key, val, nil)
	}
	return cur, nil
}

// AppendString appends suffix to the string at key, creating the key when
// absent (even with an empty suffix, as Redis does), and keeps its expiry.
// It returns the new length; ErrWrongType, or ErrStringTooLong when the
// result would exceed limit bytes.
func (tx *Tx) AppendString(db int, key, suffix []byte, limit int64) (int64, error) {
	m, found, err := tx.LookupType(db, key, TypeString)
	if err != nil {
		return 0, err
	}
	if !found {
		tx.ReplaceString(db, key, suffix, nil)
		return int64(len(suffix)), nil
	}
	if !StringFits(int64(len(m.Body)), int64(len(suffix)), limit) {
		return 0, ErrStringTooLong
	}
	val := make([]byte, 0, len(m.Body)+len(suffix))
	val = append(append(val, m.Body...), suffix...)
	tx.ReplaceString(db, key, val, &m)
	return int64(len(val)), nil
}

// SetRange overwrites the string at key from byte offset off (>= 0) with
// val, zero-padding a shorter string, and keeps the key's expiry. An empty
// val writes nothing: it returns the current length (0 for an absent key,
// which stays absent). It returns the new length; ErrWrongType, or
// ErrStringTooLong when off+len(val) exceeds limit (checked before any
// allocation).
func (tx *Tx) SetRange(db int, key []byte, off int64, val []byte, limit int64) (int64, error) {
	m, found, err := tx.LookupType(db, key, TypeString)
	if err != nil {
		return 0, err
	}
	if len(val) == 0 {
		if !found {
			return 0, nil
		}
		return int64(len(m.Body)), nil
	}
	if !StringFits(off, int64(len(val)), limit) {
		return 0, ErrStringTooLong
	}
	end := int(off) + len(val)
	n := max(end, len(m.Body))
	buf := make([]byte, n)
	copy(buf, m.Body)
	copy(buf[off:], val)
	if found {
		tx.ReplaceString(db, key, buf, &m)
	} else {
		tx.ReplaceString(db, key, buf, nil)
	}
	return int64(n), nil
}

// parseInt parses b as redis-server's string2ll: an optional '-', decimal
// digits without leading zeros (0 itself excepted), within int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	i := 0
	if neg {
		i = 1
	}
	if i == len(b) || b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
