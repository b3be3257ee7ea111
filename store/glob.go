package store

// Match reports whether s matches the glob pattern exactly as Redis's
// stringmatchlen (util.c) does: * ? [abc] [^abc] [a-z] and \x escapes;
// nocase folds ASCII case. Two details are reproduced on purpose:
//
//   - Range bounds and the subject byte are compared as C's signed char
//     (x86-64), so "[a-\xff]" is the range [-1, 'a'] and does not match
//     "b". The bounds are ordered before nocase folds them, so "[Z-n]" is
//     empty without case and "[z-n]" with it. Single characters and
//     escapes compare as plain bytes.
//   - Recursion (one level per '*') stops at depth 1000 with no match, and
//     a '*' whose rest failed at every position ends the whole match early
//     (no exponential time on patterns such as "a*a*a*a*...b").
func Match(pattern, s []byte, nocase bool) bool {
	skipLonger := false
	return match(pattern, s, nocase, &skipLonger, 0)
}

// maxGlobNesting is Redis's protection against abusive patterns.
const maxGlobNesting = 1000

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lowerInt is C's tolower on a value from a signed char.
func lowerInt(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func eqByte(a, b byte, nocase bool) bool {
	if nocase {
		return lowerASCII(a) == lowerASCII(b)
	}
	return a == b
}

func match(p, s []byte, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > maxGlobNesting {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			// The rest of the pattern matches nowhere in the rest of s: a
			// longer match for an earlier '*' cannot help either.
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for len(p) > 0 {
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					// Swap, then fold: "[Z-n]" folds to the empty [z-n].
					lo, hi := int(int8(p[0])), int(int8(p[2]))
					if lo > hi {
						lo, hi = hi, lo
					}
					c := int(int8(s[0]))
					if nocase {
						lo, hi, c = lowerInt(lo), lowerInt(hi), lowerInt(c)
					}
					p = p[2:]
					if c >= lo && c <= hi {
						matched = true
					}
				} else if eqByte(p[0], s[0], nocase) {
					matched = true
				}
				p = p[1:]
			}
			// An unterminated class ends the pattern (p is empty here).
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			if !eqByte(p[0], s[0], nocase) {
				return false
			}
			s = s[1:]
		default:
			if !eqByte(p[0], s[0], nocase) {
				return false
			}
			s = s[1:]
		}
		if len(p) > 0 {
			p = p[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
