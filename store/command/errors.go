package command

import "strings"

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
	errIntRange        = "ERR value is out of range, value must between -2147483648 and 2147483647"
	errExpireNXCombo   = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errExpireGTLT      = "ERR GT and LT options at the same time are not compatible"
	errNoLFU           = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFUNoIdle       = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// String commands.
const (
	errDecrOverflow = "ERR decrement would overflow"
	errLcsType      = "ERR The specified keys must contain string values"
	errLcsIdxLen    = "ERR If you want both the length and indexes, please just use IDX."
	errLcsTooLong   = "ERR String too long for LCS"
	errLcsMemory    = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

func errArity(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

func errInvalidExpire(cmd string) string {
	return "ERR invalid expire time in '" + cmd + "' command"
}

func errUnsupportedOption(opt []byte) string {
	return "ERR Unsupported option " + string(opt)
}

func errUnknownSub(sub []byte, container string) string {
	return "ERR unknown subcommand '" + clip(string(sub), 128) + "'. Try " + upper(container) + " HELP."
}

// errSubSyntax is Redis's reply to a known subcommand with options it
// cannot parse (addReplySubcommandSyntaxError).
func errSubSyntax(sub []byte, container string) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + clip(string(sub), 128) + "'. Try " + upper(container) + " HELP."
}

func errUnknownCommand(args [][]byte) string {
	rest := ""
	for i := 1; i < len(args) && len(rest) < 128; i++ {
		rest += "'" + clip(string(args[i]), 128-len(rest)) + "' "
	}
	return "ERR unknown command '" + clip(string(args[0]), 128) + "', with args beginning with: " + rest
}

// clip cuts s at n bytes and, as C's %s does, at its first NUL.
func clip(s string, n int) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
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

// Errors of the list and hash commands.
const (
	errRankZero         = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNegative    = "ERR COUNT can't be negative"
	errMaxlenNegative   = "ERR MAXLEN can't be negative"
	errCountGreaterZero = "ERR count should be greater than 0"
	errHashNotInt       = "ERR hash value is not an integer"
	errHashNotFloat     = "ERR hash value is not a float"
	errNaNOrInfinity    = "ERR value is NaN or Infinity"
	errValueOutOfRange  = "ERR value is out of range"
	errLongRange        = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// Sets and sorted sets (t_set.c, t_zset.c).
const (
	errNumKeysArgs     = "ERR Number of keys can't be greater than number of args"
	errLimitNegative   = "ERR LIMIT can't be negative"
	errRangeLong       = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errValueRange      = "ERR value is out of range"
	errInvalidCursor   = "ERR invalid cursor"
	errZAddXXNX        = "ERR XX and NX options at the same time are not compatible"
	errZAddGTLTNX      = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZAddIncrPair    = "ERR INCR option supports a single increment-element pair"
	errMinMaxFloat     = "ERR min or max is not a float"
	errMinMaxLex       = "ERR min or max not valid string range item"
	errLimitRank       = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errWithScoresByLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errWeightFloat     = "ERR weight value is not a float"
	errCountZero       = "ERR count should be greater than 0"
)

func errNeedInputKey(cmd string) string {
	return "ERR at least 1 input key is needed for '" + cmd + "' command"
}

// Bitmaps (bitops.c) and HyperLogLogs (hyperloglog.c).
const (
	errBitOffset     = "ERR bit offset is not an integer or out of range"
	errBitValue      = "ERR bit is not an integer or out of range"
	errBitfieldType  = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitfieldOver  = "ERR Invalid OVERFLOW type specified"
	errBitfieldRO    = "ERR BITFIELD_RO only supports the GET subcommand"
	errBitposBit     = "ERR The bit argument must be 1 or 0."
	errBitopNot      = "ERR BITOP NOT must be called with a single source key."
	errNotHLL        = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errInvalidHLL    = "INVALIDOBJ Corrupted HLL object detected"
	errPFDebugNoKey  = "ERR The specified key does not exist"
	errPFDebugSparse = "ERR HLL encoding is not sparse"
)

func errPFDebugUnknown(sub []byte) string {
	return "ERR Unknown PFDEBUG subcommand '" + clip(string(sub), 1<<20) + "'"
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
