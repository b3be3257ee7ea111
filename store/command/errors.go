package command

// Error replies, worded exactly as redis-server 7.0 words them. Handlers use
// these constants (or the formatters below) and never spell an error inline.
const (
	errWrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInt          = "ERR value is not an integer or out of range"
	errNotFloat        = "ERR value is not a valid float"
	errSyntax          = "ERR syntax error"
	errNoSuchKey       = "ERR no such key"
	errOverflow        = "ERR increment or decrement would overflow"
	errNaNInf          = "ERR increment would produce NaN or Infinity"
	errDBIndex         = "ERR DB index is out of range"
	errInvalidDB       = "ERR invalid DB index"
	errNoAuth          = "NOAUTH Authentication required."
	errWrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	errNoPassSet       = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errOutOfRange      = "ERR value is out of range, must be positive"
	errIndexOutOfRange = "ERR index out of range"
	errStringTooLong   = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange     = "ERR offset is out of range"
	errSameObject      = "ERR source and destination objects are the same"
	errNotInMulti      = "ERR EXEC without MULTI"
	errNestedMulti     = "ERR MULTI calls can not be nested"
	errExecAbort       = "EXECABORT Transaction discarded because of previous errors."
	errStorage         = "ERR storage error"
	errProtoRESP       = "NOPROTO unsupported protocol version"
	errTimeoutNeg      = "ERR timeout is negative"
	errCountPositive   = "ERR COUNT must be > 0"
	errNumKeysZero     = "ERR numkeys should be greater than 0"
)

func errArity(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

func errInvalidExpire(cmd string) string {
	return "ERR invalid expire time in '" + cmd + "' command"
}

func errUnknownSub(sub []byte, container string) string {
	return "ERR unknown subcommand '" + clip(string(sub), 128) + "'. Try " + upper(container) + " HELP."
}

// errSubSyntax is Redis's reply to a known subcommand with options it
// cannot parse (addReplySubcommandSyntaxError).
func errSubSyntax(sub []byte, container string) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + clip(string(sub), 128) + "'. Try " + container + " HELP."
}

func errUnknownCommand(args [][]byte) string {
	rest := ""
	for i := 1; i < len(args) && len(rest) < 128; i++ {
		rest += "'" + clip(string(args[i]), 128-len(rest)) + "' "
	}
	return "ERR unknown command '" + clip(string(args[0]), 128) + "', with args beginning with: " + rest
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
