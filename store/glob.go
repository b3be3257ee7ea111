package store

// Match reports whether s matches the glob pattern as Redis's stringmatchlen
// does: * ? [abc] [^abc] [a-z] and \x escapes; nocase folds ASCII case.
func Match(pattern, s []byte, nocase bool) bool {
	skipLongerMatches := false
	return match(pattern, s, nocase, &skipLongerMatches, 0)
}

func fold(c byte, nocase bool) byte {
	if nocase && c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func match(p, s []byte, nocase bool, skip *bool, nesting int) bool {
	// Protection against abusive patterns, as Redis has.
	if nesting > 1000 {
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
				if match(p[1:], s, nocase, skip, nesting+1) {
					return true
				}
				if *skip {
					return false
				}
				s = s[1:]
			}
			*skip = true
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
			for {
				if len(p) == 0 {
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					if start > end {
						start, end = end, start
					}
					c := fold(s[0], nocase)
					start, end = fold(start, nocase), fold(end, nocase)
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if fold(p[0], nocase) == fold(s[0], nocase) {
					matched = true
				}
				p = p[1:]
			}
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
			if fold(p[0], nocase) != fold(s[0], nocase) {
				return false
			}
			s = s[1:]
		default:
			if fold(p[0], nocase) != fold(s[0], nocase) {
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
