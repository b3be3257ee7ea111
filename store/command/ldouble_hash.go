package command

import (
	"math/big"
	"strconv"
)

// C long double arithmetic for HINCRBYFLOAT. redis-server adds in long
// double (x87 extended precision on x86-64: a 64-bit mantissa and a 15-bit
// exponent), parses with strtold (string2ld) and prints with "%.17Lf",
// trailing zeros trimmed (ld2string, LD_STR_HUMAN). big.Float at precision
// 64 rounding to nearest even adds exactly like the x87 unit; the exponent
// range of long double is enforced by hand (big.Float's is far wider).
// Subnormal long doubles keep full precision here: their sums print as 0
// either way.

const (
	ldPrec     = 64
	ldMaxExp   = 16384    // |x| >= 2^16384 overflows to infinity
	ldMinExp   = -16445   // |x| < 2^-16446 underflows to zero
	ldMaxChars = 5 * 1024 // MAX_LONG_DOUBLE_CHARS: string2ld's input limit
)

func newLD() *big.Float { return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven) }

// hashParseLongDouble parses b as redis-server's string2ld: strtold over
// the whole string (as C sees it: up to the first NUL byte), no leading
// space, no NaN, no overflow and no underflow to zero. "inf" is accepted
// and returned as an infinite Float.
func hashParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars {
		return nil, false
	}
	for i, ch := range b {
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 0 {
		return newLD(), true // strtold("") converts nothing and stops at the NUL
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i = 1
	}
	rest := b[i:]
	if w := infWord(rest); w != "" {
		if len(rest) != len(w) {
			return nil, false
		}
		return newLD().SetInf(neg), true
	}
	if len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') && isHexDigitOrDot(rest[2:]) {
		return parseHexLD(neg, rest[2:])
	}
	return parseDecLD(b)
}

// infWord returns the spelling of infinity rest starts with ("infinity" or
// "inf", any case), "" if none.
func infWord(rest []byte) string {
	if len(rest) >= 8 && eqFold(rest[:8], "infinity") {
		return "infinity"
	}
	if len(rest) >= 3 && eqFold(rest[:3], "inf") {
		return "inf"
	}
	return ""
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isHexDigitOrDot reports whether a hex mantissa can start at s (strtold
// needs a hex digit, possibly after the point).
func isHexDigitOrDot(s []byte) bool {
	return isHex(s[0]) || (s[0] == '.' && len(s) > 1 && isHex(s[1]))
}

// digitsEnd returns the end of the run of digits starting at i.
func digitsEnd(s []byte, i int, hex bool) int {
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || hex && isHex(s[i])) {
		i++
	}
	return i
}

// parseExp parses "[+-]digits" filling the whole of s, clamped to
// ±1_000_000 (far beyond any long double).
func parseExp(s []byte) (int64, bool) {
	i := 0
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		i = 1
	}
	if i == len(s) || digitsEnd(s, i, false) != len(s) {
		return 0, false
	}
	var e int64
	for ; i < len(s); i++ {
		if e < 1_000_000 {
			e = e*10 + int64(s[i]-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

// parseDecLD parses a decimal [sign] digits [. digits] [e [sign] digits].
func parseDecLD(b []byte) (*big.Float, bool) {
	i := 0
	if b[0] == '+' || b[0] == '-' {
		i = 1
	}
	start := i
	i = digitsEnd(b, i, false)
	intDigits := i - start
	fracDigits := 0
	if i < len(b) && b[i] == '.' {
		j := digitsEnd(b, i+1, false)
		fracDigits = j - i - 1
		i = j
	}
	if intDigits+fracDigits == 0 {
		return nil, false
	}
	mantEnd := i
	var exp int64
	if i < len(b) {
		if b[i] != 'e' && b[i] != 'E' {
			return nil, false
		}
		e, ok := parseExp(b[i+1:])
		if !ok {
			return nil, false
		}
		exp = e
	}
	zero := true
	for _, ch := range b[start:mantEnd] {
		if ch >= '1' && ch <= '9' {
			zero = false
			break
		}
	}
	if zero {
		f := newLD()
		if b[0] == '-' {
			f.Neg(f)
		}
		return f, true
	}
	if exp > 100_000 || exp < -100_000 {
		return nil, false // overflow or underflow, whatever the digits
	}
	s := string(b[:mantEnd]) + "e" + strconv.FormatInt(exp, 10)
	f, _, err := newLD().Parse(s, 10)
	if err != nil {
		return nil, false
	}
	return f, ldInRange(f)
}

// parseHexLD parses the part after "0x": hexdigits [. hexdigits] [p [sign] digits].
func parseHexLD(neg bool, s []byte) (*big.Float, bool) {
	var mant big.Int
	i := digitsEnd(s, 0, true)
	digits := string(s[:i])
	frac := 0
	if i < len(s) && s[i] == '.' {
		j := digitsEnd(s, i+1, true)
		digits += string(s[i+1 : j])
		frac = j - i - 1
		i = j
	}
	var exp int64
	if i < len(s) {
		if s[i] != 'p' && s[i] != 'P' {
			return nil, false
		}
		e, ok := parseExp(s[i+1:])
		if !ok {
			return nil, false
		}
		exp = e
	}
	if _, ok := mant.SetString(digits, 16); !ok {
		return nil, false
	}
	f := newLD().SetInt(&mant)
	if neg {
		f.Neg(f)
	}
	if f.Sign() == 0 {
		return f, true
	}
	exp -= 4 * int64(frac)
	if exp > 100_000 || exp < -100_000 {
		return nil, false
	}
	f.SetMantExp(f, int(exp))
	return f, ldInRange(f)
}

// ldInRange reports whether a finite non-zero f fits a long double without
// overflowing to infinity or underflowing to zero.
func ldInRange(f *big.Float) bool {
	if f.Sign() == 0 || f.IsInf() {
		return true
	}
	e := f.MantExp(nil) // |f| = m * 2^e, 0.5 <= m < 1
	return e <= ldMaxExp && e >= ldMinExp
}

// hashAddLongDouble returns a + b in long double; ok is false when the sum
// is infinite (or NaN).
func hashAddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	z := newLD().Add(a, b)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	if z.Sign() != 0 && z.MantExp(nil) < ldMinExp {
		z.SetInt64(0)
	}
	return z, true
}

// hashFormatLongDouble appends f as ld2string(LD_STR_HUMAN) prints it:
// "%.17Lf" with the trailing zeros (and a trailing point) removed, and
// "-0" printed as "0".
func hashFormatLongDouble(dst []byte, f *big.Float) []byte {
	start := len(dst)
	if f.IsInf() {
		if f.Sign() < 0 {
			return append(dst, "-inf"...)
		}
		return append(dst, "inf"...)
	}
	dst = f.Append(dst, 'f', 17)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	if dst[len(dst)-1] == '.' {
		dst = dst[:len(dst)-1]
	}
	if len(dst)-start == 2 && dst[start] == '-' && dst[start+1] == '0' {
		dst = append(dst[:start], '0')
	}
	return dst
}
