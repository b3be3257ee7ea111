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

// Stream commands.
const (
	errStreamID             = "ERR Invalid stream ID specified as stream command argument"
	errXaddZeroID           = "ERR The ID specified in XADD must be greater than 0-0"
	errMaxlenNeg            = "ERR The MAXLEN argument must be >= 0."
	errLimitNeg             = "ERR The LIMIT argument must be >= 0."
	errTrimBoth             = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errLimitNoStrategy      = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errXtrimNoStrategy      = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errLimitNoApprox        = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errIntervalStart        = "ERR invalid start ID for the interval"
	errIntervalEnd          = "ERR invalid end ID for the interval"
	errXreadGroupOpt        = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errXreadNoAck           = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	errXreadUnbalanced      = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	errXreadgroupMissing    = "ERR Missing GROUP option for XREADGROUP"
	errXreadgroupDollar     = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	errXreadGreater         = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	errTimeoutNotInt        = "ERR timeout is not an integer or out of range"
	errEntriesRead          = "ERR value for ENTRIESREAD must be positive or -1"
	errXgroupNoKey          = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errBusyGroup            = "BUSYGROUP Consumer Group name already exists"
	errXsetidEntriesAdded   = "ERR entries_added must be positive"
	errXsetidMaxDelProvided = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	errXsetidTop            = "ERR The ID specified in XSETID is smaller than the target stream top item"
	errXsetidLength         = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	errXclaimMinIdle        = "ERR Invalid min-idle-time argument for XCLAIM"
	errXclaimIdle           = "ERR Invalid IDLE option argument for XCLAIM"
	errXclaimTime           = "ERR Invalid TIME option argument for XCLAIM"
	errXclaimRetry          = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	errXautoclaimMinIdle    = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	errXautoclaimMemory     = "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
)

// errSubSyntax is addReplySubcommandSyntaxError: sub as the client typed it.
func errSubSyntax(sub []byte, container string) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + clip(cString(sub), 128) + "'. Try " + upper(container) + " HELP."
}

// cString is b up to its first NUL byte, as a C %s prints it.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
