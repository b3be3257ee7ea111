package proto

import (
	"math"
	"strconv"
)

// The encoders append one RESP value to dst and return the extended slice,
// like strconv.Append*. Those whose encoding differs between RESP2 and RESP3
// take resp3; RESP2 gets the closest type, as redis-server sends it.

// AppendBulk appends a bulk string.
func AppendBulk(dst, b []byte) []byte {
	dst = appendPrefix(dst, '$', int64(len(b)))
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends a bulk string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = appendPrefix(dst, '$', int64(len(s)))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBulkInt appends n formatted in decimal as a bulk string.
func AppendBulkInt(dst []byte, n int64) []byte {
	var tmp [20]byte
	return AppendBulk(dst, strconv.AppendInt(tmp[:0], n, 10))
}

// AppendInt appends an integer reply.
func AppendInt(dst []byte, n int64) []byte { return appendPrefix(dst, ':', n) }

// AppendStatus appends a simple string (+OK). s must not contain CR or LF.
func AppendStatus(dst []byte, s string) []byte {
	dst = append(dst, '+')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendOK appends +OK.
func AppendOK(dst []byte) []byte { return append(dst, "+OK\r\n"...) }

// AppendError appends an error reply. msg starts with its code ("ERR ...",
// "WRONGTYPE ..."); CR and LF in it are replaced by spaces, as Redis does.
func AppendError(dst []byte, msg string) []byte {
	dst = append(dst, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

// AppendArray appends the header of an array of n elements.
func AppendArray(dst []byte, n int) []byte { return appendPrefix(dst, '*', int64(n)) }

// AppendMap appends the header of a map of n pairs (RESP2: an array of 2n).
func AppendMap(dst []byte, n int, resp3 bool) []byte {
	if resp3 {
		return appendPrefix(dst, '%', int64(n))
	}
	return appendPrefix(dst, '*', int64(2*n))
}

// AppendSet appends the header of a set of n elements (RESP2: an array).
func AppendSet(dst []byte, n int, resp3 bool) []byte {
	if resp3 {
		return appendPrefix(dst, '~', int64(n))
	}
	return appendPrefix(dst, '*', int64(n))
}

// AppendPush appends the header of an out-of-band push of n elements
// (RESP2: an array).
func AppendPush(dst []byte, n int, resp3 bool) []byte {
	if resp3 {
		return appendPrefix(dst, '>', int64(n))
	}
	return appendPrefix(dst, '*', int64(n))
}

// AppendAttribute appends the header of an attribute map of n pairs (RESP3 only).
func AppendAttribute(dst []byte, n int) []byte { return appendPrefix(dst, '|', int64(n)) }

// AppendNull appends the null bulk string ($-1, RESP3 _).
func AppendNull(dst []byte, resp3 bool) []byte {
	if resp3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "$-1\r\n"...)
}

// AppendNullArray appends the null array (*-1, RESP3 _).
func AppendNullArray(dst []byte, resp3 bool) []byte {
	if resp3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "*-1\r\n"...)
}

// AppendBool appends a boolean (RESP2: integer 1 or 0).
func AppendBool(dst []byte, v, resp3 bool) []byte {
	switch {
	case resp3 && v:
		return append(dst, "#t\r\n"...)
	case resp3:
		return append(dst, "#f\r\n"...)
	case v:
		return append(dst, ":1\r\n"...)
	}
	return append(dst, ":0\r\n"...)
}

// AppendDouble appends a double as redis-server 7.0 does: RESP3 ",%.17g",
// RESP2 a bulk string of the same digits; infinities as inf and -inf.
func AppendDouble(dst []byte, f float64, resp3 bool) []byte {
	var tmp [32]byte
	s := AppendFloat(tmp[:0], f)
	if resp3 {
		dst = append(dst, ',')
		dst = append(dst, s...)
		return append(dst, '\r', '\n')
	}
	return AppendBulk(dst, s)
}

// AppendVerbatim appends a verbatim string with a 3-letter format such as
// "txt" (RESP2: a bulk string of s).
func AppendVerbatim(dst []byte, format, s string, resp3 bool) []byte {
	if !resp3 {
		return AppendBulkString(dst, s)
	}
	dst = appendPrefix(dst, '=', int64(len(s)+4))
	dst = append(dst, format...)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBigNumber appends a big number given in decimal (RESP2: bulk string).
func AppendBigNumber(dst []byte, digits string, resp3 bool) []byte {
	if !resp3 {
		return AppendBulkString(dst, digits)
	}
	dst = append(dst, '(')
	dst = append(dst, digits...)
	return append(dst, '\r', '\n')
}

func appendPrefix(dst []byte, c byte, n int64) []byte {
	dst = append(dst, c)
	if n >= 0 && n < 10 {
		dst = append(dst, byte('0'+n))
	} else {
		dst = strconv.AppendInt(dst, n, 10)
	}
	return append(dst, '\r', '\n')
}

// AppendFloat formats f exactly as glibc's printf("%.17g") does: 17
// significant digits rounded half-even, trailing zeros dropped, exponent form
// below 1e-4 and from 1e17 on, "inf", "-inf", "nan", "-nan", "-0".
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
