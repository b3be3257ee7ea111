package command

import (
	"bytes"
	"math/big"
)

// INCRBYFLOAT computes in C's long double, which on redis-server's x86-64
// builds is the x87 80-bit extended format: a 64-bit significand (explicit
// integer bit), normal exponents down to 2^-16382, subnormals down to
// 2^-16445, and a largest finite value just under 2^16384. This file
// emulates that format with math/big.Float at precision 64 so that every
// reply matches redis-server digit for digit:
//
//   - parseLongDouble is Redis's string2ld: strtold over the whole
//     argument, correctly rounded (glibc rounds exactly; so do we, from the
//     exact rational value), rejecting leading spaces, trailing bytes, NaN,
//     overflow and underflow to zero;
//   - ldAdd is the x87 addition, rounded to nearest even;
//   - appendLongDouble is ld2string(LD_STR_HUMAN): "%.17Lf", then trailing
//     zeros and a trailing dot removed, "-0" turned into "0".

const (
	ldPrec     = 64     // significand bits
	ldMaxExp   = 16384  // big.Float exponent (mantissa in [0.5, 1)) of the largest binade
	ldMinExp   = -16381 // big.Float exponent of the smallest normal binade
	ldSubShift = 16445  // a subnormal is an integer multiple of 2^-16445
	ldMaxChars = 5 * 1024
	// Decimal bounds: values from 10^4933 up overflow, values below
	// 10^-4951 round to zero (the smallest subnormal is about 3.6e-4951).
	ldMaxDecExp = 4933
	ldMinDecExp = -4951
	expSaturate = 1 << 40 // exponent digits beyond this change nothing
)

// parseLongDouble parses b as redis-server's string2ld does. Infinities
// parse (INCRBYFLOAT then refuses the sum); NaN, empty input, input of
// 5120 bytes or more, a leading space and any unparsed byte are refused.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars || isCSpace(b[0]) {
		return nil, false
	}
	neg := false
	s := b
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if eqFold(s, "inf") || eqFold(s, "infinity") {
		return new(big.Float).SetInf(neg), true
	}
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return parseHexLongDouble(s[2:], neg)
	}
	return parseDecLongDouble(s, neg)
}

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// scanExponent parses [+-]digits from s[i:], saturating; ok is false when
// no digit follows.
func scanExponent(s []byte, i int) (e int64, next int, ok bool) {
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if e < expSaturate {
			e = e*10 + int64(s[i]-'0')
		}
	}
	if i == start {
		return 0, i, false
	}
	if neg {
		e = -e
	}
	return e, i, true
}

func parseDecLongDouble(s []byte, neg bool) (*big.Float, bool) {
	digits := make([]byte, 0, len(s)) // significant digits, leading zeros dropped
	seen := false
	frac := int64(0)
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		seen = true
		if len(digits) > 0 || s[i] != '0' {
			digits = append(digits, s[i])
		}
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			seen = true
			frac++
			if len(digits) > 0 || s[i] != '0' {
				digits = append(digits, s[i])
			}
		}
	}
	if !seen {
		return nil, false
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		e, next, ok := scanExponent(s, i+1)
		if !ok {
			return nil, false
		}
		exp, i = e, next
	}
	if i != len(s) {
		return nil, false
	}
	if len(digits) == 0 {
		return ldZero(neg), true
	}
	e10 := exp - frac
	mag := e10 + int64(len(digits)) // the value is in [10^(mag-1), 10^mag)
	if mag-1 >= ldMaxDecExp || mag <= ldMinDecExp {
		return nil, false // overflow to infinity or underflow to zero: ERANGE
	}
	num, _ := new(big.Int).SetString(string(digits), 10)
	den := big.NewInt(1)
	ten := big.NewInt(10)
	if e10 >= 0 {
		num.Mul(num, new(big.Int).Exp(ten, big.NewInt(e10), nil))
	} else {
		den.Exp(ten, big.NewInt(-e10), nil)
	}
	return ldRound(num, den, neg)
}

func parseHexLongDouble(s []byte, neg bool) (*big.Float, bool) {
	digits := make([]byte, 0, len(s))
	seen := false
	frac := int64(0)
	i := 0
	for ; i < len(s) && isHex(s[i]); i++ {
		seen = true
		if len(digits) > 0 || s[i] != '0' {
			digits = append(digits, s[i])
		}
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isHex(s[i]); i++ {
			seen = true
			frac++
			if len(digits) > 0 || s[i] != '0' {
				digits = append(digits, s[i])
			}
		}
	}
	if !seen {
		return nil, false // strtold stops after the "0" before the 'x'
	}
	var exp int64
	if i < len(s) && (s[i] == 'p' || s[i] == 'P') {
		e, next, ok := scanExponent(s, i+1)
		if !ok {
			return nil, false
		}
		exp, i = e, next
	}
	if i != len(s) {
		return nil, false
	}
	if len(digits) == 0 {
		return ldZero(neg), true
	}
	num, _ := new(big.Int).SetString(string(digits), 16)
	e2 := exp - 4*frac
	mag := e2 + int64(num.BitLen()) // the value is in [2^(mag-1), 2^mag)
	if mag-1 >= ldMaxExp || mag <= -ldSubShift-1 {
		return nil, false
	}
	den := big.NewInt(1)
	if e2 >= 0 {
		num.Lsh(num, uint(e2))
	} else {
		den.Lsh(den, uint(-e2))
	}
	return ldRound(num, den, neg)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func ldZero(neg bool) *big.Float {
	z := new(big.Float).SetPrec(ldPrec)
	if neg {
		z.Neg(z)
	}
	return z
}

// ldRound rounds num/den (both > 0) to the nearest long double, ties to
// even. ok is false when the result overflows or underflows to zero.
func ldRound(num, den *big.Int, neg bool) (*big.Float, bool) {
	a := new(big.Float).SetInt(num) // exact: precision grows to fit
	d := new(big.Float).SetInt(den)
	f := new(big.Float).SetPrec(ldPrec).Quo(a, d)
	e := f.MantExp(nil)
	if e > ldMaxExp {
		return nil, false
	}
	if e <= ldMinExp {
		// Subnormal range (and the lowest normal binade, whose spacing is
		// the same): round on the fixed grid of 2^-16445.
		q, r := new(big.Int).QuoRem(new(big.Int).Lsh(num, ldSubShift), den, new(big.Int))
		if c := r.Lsh(r, 1).Cmp(den); c > 0 || (c == 0 && q.Bit(0) == 1) {
			q.Add(q, big.NewInt(1))
		}
		if q.Sign() == 0 {
			return nil, false
		}
		f.SetInt(q)
		f.SetMantExp(f, -ldSubShift)
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

// ldAdd returns a+b rounded as the x87 unit rounds it; ok is false when
// the sum is NaN or infinite.
func ldAdd(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	// Both operands are multiples of 2^-16445, so a sum below the normal
	// range is exact at 64 bits; only overflow needs a check.
	z := new(big.Float).SetPrec(ldPrec).Add(a, b)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// appendLongDouble appends f (finite) as ld2string(LD_STR_HUMAN) writes it.
func appendLongDouble(dst []byte, f *big.Float) []byte {
	start := len(dst)
	dst = f.Append(dst, 'f', 17)
	s := dst[start:]
	if bytes.IndexByte(s, '.') >= 0 {
		s = bytes.TrimRight(s, "0")
		s = bytes.TrimSuffix(s, []byte("."))
	}
	if len(s) == 2 && s[0] == '-' && s[1] == '0' {
		s = s[1:]
		dst[start] = '0'
	}
	return dst[:start+len(s)]
}
