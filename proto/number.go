package proto

import (
	"math"
	"strconv"
)

// ParseInt parses b as redis-server's string2ll does: an optional '-', then
// decimal digits without leading zeros (0 itself excepted), no spaces, no '+',
// within int64. It is the test behind "value is not an integer or out of range".
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseFloat parses b as redis-server's getDoubleFromObject does (strtod
// over the whole string): no leading space, no trailing bytes, no NaN, and no
// overflow or underflow to zero. "inf", "+inf", "-inf" and "infinity" pass.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	s := string(b) // the compiler avoids the copy for a non-escaping conversion
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, false
		}
		// strtod also takes hex without an exponent (0x1A) and forms
		// strconv refuses; fall back to a hand check for the hex case.
		if hf, ok := parseHexFloat(b); ok {
			return hf, true
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	if f == 0 && hasNonZeroDigit(b) {
		return 0, false // underflow: strtod sets ERANGE and returns 0
	}
	for _, c := range b {
		if c == '_' {
			return 0, false // strconv allows digit separators, strtod does not
		}
	}
	return f, true
}

func hasNonZeroDigit(b []byte) bool {
	hex := len(b) > 2 && (b[1] == 'x' || b[1] == 'X' || (len(b) > 3 && (b[2] == 'x' || b[2] == 'X')))
	for _, c := range b {
		if !hex && (c == 'e' || c == 'E') || hex && (c == 'p' || c == 'P') {
			return false
		}
		if c >= '1' && c <= '9' || hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') && c != 'x' && c != 'X' {
			return true
		}
	}
	return false
}

// parseHexFloat accepts [+-]0x<hexdigits>[.<hexdigits>] without a binary
// exponent, which strtod takes and strconv does not.
func parseHexFloat(b []byte) (float64, bool) {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i+2 > len(b) || b[i] != '0' || (b[i+1] != 'x' && b[i+1] != 'X') {
		return 0, false
	}
	i += 2
	var v float64
	digits := 0
	for ; i < len(b); i++ {
		h, ok := hexVal(b[i])
		if !ok {
			break
		}
		v = v*16 + float64(h)
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		scale := 1.0 / 16
		for ; i < len(b); i++ {
			h, ok := hexVal(b[i])
			if !ok {
				break
			}
			v += float64(h) * scale
			scale /= 16
			digits++
		}
	}
	if digits == 0 || i != len(b) || math.IsInf(v, 0) {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}
