package proto

import (
	"math"
	"strconv"
	"unsafe"
)

// ParseInt parses b as redis-server's string2ll does: an optional '-', then
// decimal digits without leading zeros (0 itself excepted), no spaces, no '+',
// at most 20 bytes, within int64. It is the test behind "value is not an
// integer or out of range" and behind every count in the protocol.
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
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		if v > math.MaxUint64-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
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

// ParseFloat parses b as redis-server's getDoubleFromObject does: C's strtod
// must consume all of b, b must not start with a blank, and the result must
// be neither NaN nor an overflow (±HUGE_VAL with ERANGE) nor an underflow to
// zero. So "inf", "+inf", "-Infinity", "1e-310" (subnormal) and hex floats
// such as "0x1.8p3" or "0x1A" pass; "nan", " 1", "1 ", "1e400", "1e-400",
// "1e" and "1_0" do not. Rounding is exact (IEEE round-half-even), as glibc's.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	i := 0
	if b[0] == '+' || b[0] == '-' {
		i = 1
	}
	rest := b[i:]
	if isInf(rest) {
		if b[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	var nonzero, hexNoExp bool
	if len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x' {
		var ok bool
		if nonzero, hexNoExp, ok = scanHex(rest[2:]); !ok {
			return 0, false
		}
	} else {
		var ok bool
		if nonzero, ok = scanDecimal(rest); !ok {
			return 0, false
		}
	}
	// b is now known to be a literal strconv accepts too, except that Go
	// wants a binary exponent after a hex mantissa.
	var f float64
	var err error
	if hexNoExp {
		var tmp [64]byte
		s := append(append(tmp[:0], b...), 'p', '0')
		f, err = strconv.ParseFloat(unsafe.String(&s[0], len(s)), 64)
	} else {
		// strconv does not keep its argument (errors copy it).
		f, err = strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	}
	if err != nil || math.IsInf(f, 0) {
		return 0, false // overflow
	}
	if f == 0 && nonzero {
		return 0, false // underflow: strtod sets ERANGE and returns 0
	}
	return f, true
}

// isInf reports whether b is "inf" or "infinity" in any case.
func isInf(b []byte) bool {
	const s = "infinity"
	if len(b) != 3 && len(b) != 8 {
		return false
	}
	for i, c := range b {
		if c|0x20 != s[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanDecimal checks b against strtod's decimal form, digits with at most
// one point (at least one digit) and an optional exponent e[+-]digits, and
// reports whether the mantissa has a non-zero digit.
func scanDecimal(b []byte) (nonzero, ok bool) {
	i, digits := 0, 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		nonzero = nonzero || b[i] != '0'
		digits++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && isDigit(b[i]); i++ {
			nonzero = nonzero || b[i] != '0'
			digits++
		}
	}
	if digits == 0 {
		return false, false
	}
	return nonzero, scanExponent(b[i:], 'e')
}

// scanHex checks b (after "0x") against strtod's hex form: hex digits with at
// most one point (at least one digit) and an optional exponent p[+-]digits.
func scanHex(b []byte) (nonzero, noExp, ok bool) {
	i, digits := 0, 0
	for ; i < len(b); i++ {
		v, isHex := hexVal(b[i])
		if !isHex {
			break
		}
		nonzero = nonzero || v != 0
		digits++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b); i++ {
			v, isHex := hexVal(b[i])
			if !isHex {
				break
			}
			nonzero = nonzero || v != 0
			digits++
		}
	}
	if digits == 0 {
		return false, false, false
	}
	return nonzero, i == len(b), scanExponent(b[i:], 'p')
}

// scanExponent reports whether b is empty or an exponent: the letter e (in
// either case), an optional sign and at least one digit.
func scanExponent(b []byte, e byte) bool {
	if len(b) == 0 {
		return true
	}
	if b[0]|0x20 != e {
		return false
	}
	i := 1
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	if i == len(b) {
		return false
	}
	for ; i < len(b); i++ {
		if !isDigit(b[i]) {
			return false
		}
	}
	return true
}
